import { VerifiedTokens } from './verified-tokens';

const EXP = 1_800_000_000; // seconds, as in a token
const AT_EXPIRY_MS = EXP * 1000;

describe('verified access tokens', () => {
  it.each<[string, number, boolean]>([
    ['answers a token remembered a minute before its expiry', AT_EXPIRY_MS - 60_000, true],
    ['answers it up to the last millisecond before its expiry', AT_EXPIRY_MS - 1, true],
    ['forgets it at its expiry, when verification would refuse it', AT_EXPIRY_MS, false],
    ['forgets it after its expiry', AT_EXPIRY_MS + 5_000, false],
  ])('%s', (_name, nowMs, known) => {
    const tokens = new VerifiedTokens<{ sub: string }>(10);
    tokens.remember('t1', { sub: 'u1' }, EXP, AT_EXPIRY_MS - 120_000);
    expect(tokens.get('t1', nowMs)).toEqual(known ? { sub: 'u1' } : undefined);
  });

  it.each<[string, unknown, number]>([
    ['a token without an expiry', undefined, AT_EXPIRY_MS - 60_000],
    ['a token whose expiry is not a number', String(EXP), AT_EXPIRY_MS - 60_000],
    ['a token already expired when verified', EXP, AT_EXPIRY_MS],
  ])('never remembers %s', (_name, exp, nowMs) => {
    const tokens = new VerifiedTokens<{ sub: string }>(10);
    tokens.remember('t1', { sub: 'u1' }, exp, nowMs);
    expect(tokens.get('t1', nowMs - 1)).toBeUndefined();
  });

  it('answers only the exact token text it verified', () => {
    const tokens = new VerifiedTokens<{ sub: string }>(10);
    tokens.remember('header.payload.signature', { sub: 'u1' }, EXP, 0);
    expect(tokens.get('header.payload.signaturE', 1)).toBeUndefined();
    expect(tokens.get('header.payload.signature', 1)).toEqual({ sub: 'u1' });
  });

  it('starts over when full instead of growing', () => {
    const tokens = new VerifiedTokens<{ sub: string }>(2);
    tokens.remember('t1', { sub: 'u1' }, EXP, 0);
    tokens.remember('t2', { sub: 'u2' }, EXP, 0);
    tokens.remember('t3', { sub: 'u3' }, EXP, 0);
    expect([tokens.get('t1', 1), tokens.get('t2', 1), tokens.get('t3', 1)]).toEqual([undefined, undefined, { sub: 'u3' }]);
  });
});
