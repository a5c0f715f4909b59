import { ArgumentsHost, HttpException, InternalServerErrorException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { ConflictError, DomainError } from './domain-error';
import { HttpErrorFilter } from './http-error.filter';

function answer(exception: unknown): { status: number; body: Record<string, unknown> } {
  const sent = { status: 0, body: {} as Record<string, unknown> };
  const response = {
    headersSent: false,
    setHeader: () => undefined,
    status(code: number) {
      sent.status = code;
      return this;
    },
    json(body: Record<string, unknown>) {
      sent.body = body;
    },
  };
  const host = {
    switchToHttp: () => ({ getRequest: () => ({ id: 'req-1', method: 'POST', originalUrl: '/users' }), getResponse: () => response }),
  } as unknown as ArgumentsHost;
  const filter = new HttpErrorFilter();
  // The filter logs what it hides; the test needs only the answer.
  (filter as unknown as { logger: { error: () => void } }).logger = { error: () => undefined };
  filter.catch(exception, host);
  return sent;
}

const GENERIC_500 = { statusCode: 500, error: 'Internal Server Error', message: 'internal error', requestId: 'req-1' };

describe('HttpErrorFilter: a 500 body never carries an internal message', () => {
  it.each([
    { name: 'an unexpected error', exception: new Error('connect ECONNREFUSED 10.0.0.5:5432') },
    {
      name: 'a failed SQL write with its parameters',
      exception: new QueryFailedError('INSERT INTO "users" VALUES ($1, $2)', ['bob', '$argon2id$v=19$hash'], new Error('users_role_check')),
    },
    { name: "Nest's 500 exception with a message", exception: new InternalServerErrorException('ENOENT: /var/lib/vulnzero/key') },
    {
      name: 'a domain error raised with status 500',
      exception: new DomainError(500, 'could not open /etc/vulnzero/master.key', { path: '/etc' }),
    },
  ])('answers $name with the generic body', ({ exception }) => {
    expect(answer(exception)).toEqual({ status: 500, body: GENERIC_500 });
  });

  it('keeps the message of a 4xx domain error, which we wrote for the caller', () => {
    expect(answer(new DomainError(409, 'patch p-1 is already approved', { patchId: 'p-1' }))).toEqual({
      status: 409,
      body: { statusCode: 409, error: 'Conflict', message: 'patch p-1 is already approved', requestId: 'req-1', patchId: 'p-1' },
    });
  });

  it('keeps the message of a 503 that names the dependency down', () => {
    expect(answer(new HttpException('not ready: redis down', 503)).body.message).toBe('not ready: redis down');
  });

  it("answers a domain's own error, defined in its lib, by the kind it extends", () => {
    // As libs/inventory's HostHeldError: the domain names it, this filter only knows its kind.
    class HostHeldError extends ConflictError {
      constructor(hostId: string) {
        super(`host ${hostId} is held by a running deployment`, { hostId });
      }
    }
    expect(answer(new HostHeldError('h-1'))).toEqual({
      status: 409,
      body: { statusCode: 409, error: 'Conflict', message: 'host h-1 is held by a running deployment', requestId: 'req-1', hostId: 'h-1' },
    });
  });
});
