import { QueryFailedError } from 'typeorm';
import { serializeError } from './error-serializer';

const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo';

function aFailedInsert(detail: string): QueryFailedError {
  const driverError = Object.assign(new Error('new row for relation "users" violates check constraint "users_role_check"'), {
    code: '23514',
    constraint: 'users_role_check',
    detail,
  });
  return new QueryFailedError(
    'INSERT INTO "users"("username", "password_hash", "role") VALUES ($1, $2, $3)',
    ['bob', HASH, 'root'],
    driverError,
  );
}

describe('serializeError', () => {
  it('drops the parameters of a failed SQL write and a failing row the driver repeats, keeping query, code and constraint', () => {
    const line = JSON.stringify(serializeError(aFailedInsert(`Failing row contains (1, bob, ${HASH}, root).`)));
    expect(line).not.toContain(HASH);
    expect(line).not.toContain('argon2');
    expect(line).toContain('INSERT INTO');
    expect(line).toContain('users_role_check');
    expect(line).toContain('23514');
  });

  it('keeps a driver detail that names a key, not a row', () => {
    const line = JSON.stringify(serializeError(aFailedInsert('Key (username)=(bob) already exists.')));
    expect(line).toContain('Key (username)=(bob) already exists.');
    expect(line).not.toContain(HASH);
  });

  it('serializes any other error as pino does', () => {
    expect(serializeError(new Error('boom'))).toEqual(
      expect.objectContaining({ type: 'Error', message: 'boom', stack: expect.any(String) }),
    );
  });
});
