import { ExecutionContext, HttpException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import * as jwt from 'jsonwebtoken';
import passport from 'passport';
import { Strategy as PassportJwtStrategy } from 'passport-jwt';
import { APP_CONFIG, AppConfig } from '@vulnzero/config';
import { AccessGuard } from './access.guard';
import { AnyAuthenticated } from './access.decorators';
import type { Actor } from './actor';
import { ApiKeysService } from './api-keys.service';
import { AccessTokenPayload, AuthService } from './auth.service';
import { JwtAccessStrategy } from './jwt-access.strategy';
import { JwtAuthGuard } from './jwt-auth.guard';
import { AbuseLimits } from './rate-limit/abuse-limits';

// The access guard with the real JWT strategy and passport; users, API keys
// and the abuse limits are in-memory fakes (no PostgreSQL, no Redis).

const SECRET = 'unit-test-secret-unit-test-secret-0123456789';
const USER_ID = '6f1c2a8e-0000-4000-8000-000000000001';
const now = () => Math.floor(Date.now() / 1000);

class MeController {
  @AnyAuthenticated()
  me(): void {}
}

/** The user store behind AuthService: one user whose token version a test can bump (a password change). */
class FakeAuth {
  tokenVersion = 3;
  lookups = 0;
  cachedActorForToken(): Actor | undefined {
    return undefined;
  }
  async actorForToken(payload: Partial<AccessTokenPayload>): Promise<Actor | null> {
    this.lookups += 1;
    if (payload.typ !== 'access' || payload.sub !== USER_ID || payload.tv !== this.tokenVersion) return null;
    return { kind: 'user', userId: USER_ID, name: 'ada', role: 'operator' };
  }
}

class FakeApiKeys {
  presented: string[] = [];
  async authenticate(key: string): Promise<Actor | null> {
    this.presented.push(key);
    return key === `vz_${'K'.repeat(43)}` ? { kind: 'api-key', userId: USER_ID, name: 'key:ci', role: 'viewer', apiKeyId: 'k1' } : null;
  }
}

class FakeLimits {
  invalid: string[] = [];
  async refuseIfBlocked(): Promise<void> {}
  async countInvalidToken(address: string | undefined): Promise<void> {
    this.invalid.push(address ?? '?');
  }
}

function accessToken(claims: Record<string, unknown>, options: jwt.SignOptions = {}, secret = SECRET): string {
  const expiry = 'exp' in claims ? {} : { expiresIn: 600 };
  return jwt.sign({ sub: USER_ID, tv: 3, typ: 'access', ...claims }, secret, { algorithm: 'HS256', ...expiry, ...options });
}

function unsigned(claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: USER_ID, tv: 3, typ: 'access', exp: now() + 600, ...claims })}.`;
}

describe('access tokens are verified by passport-jwt', () => {
  let guard: AccessGuard;
  let strategy: JwtAccessStrategy;
  let auth: FakeAuth;
  let apiKeys: FakeApiKeys;
  let limits: FakeLimits;
  let passportRuns: jest.SpyInstance;

  beforeEach(async () => {
    auth = new FakeAuth();
    apiKeys = new FakeApiKeys();
    limits = new FakeLimits();
    const module = await Test.createTestingModule({
      providers: [
        Reflector,
        AccessGuard,
        JwtAccessStrategy,
        JwtAuthGuard,
        { provide: APP_CONFIG, useValue: { jwtSecret: SECRET } as AppConfig },
        { provide: AuthService, useValue: auth },
        { provide: ApiKeysService, useValue: apiKeys },
        { provide: AbuseLimits, useValue: limits },
      ],
    }).compile();
    guard = module.get(AccessGuard);
    strategy = module.get(JwtAccessStrategy);
    passportRuns = jest.spyOn(PassportJwtStrategy.prototype, 'authenticate');
  });
  afterEach(() => passportRuns.mockRestore());

  async function present(token: string): Promise<{ actor?: Actor; status?: number; message?: string }> {
    const request: Record<string, unknown> = { headers: { authorization: `Bearer ${token}` }, ip: '10.0.0.9' };
    const context = {
      switchToHttp: () => ({ getRequest: () => request, getResponse: () => ({}) }),
      getHandler: () => MeController.prototype.me,
      getClass: () => MeController,
    } as unknown as ExecutionContext;
    try {
      await guard.canActivate(context);
      return { actor: request.actor as Actor };
    } catch (error) {
      if (!(error instanceof HttpException)) throw error;
      return { status: error.getStatus(), message: error.message };
    }
  }

  it('registers the access-token strategy with passport as passport-jwt’s `jwt` strategy', () => {
    expect(strategy).toBeInstanceOf(PassportJwtStrategy);
    expect((passport as unknown as { _strategy(name: string): unknown })._strategy('jwt')).toBe(strategy);
  });

  it('verifies a token it has not seen through passport-jwt, then answers it from the verified-token cache', async () => {
    const token = accessToken({});
    expect((await present(token)).actor).toEqual(expect.objectContaining({ kind: 'user', userId: USER_ID, role: 'operator' }));
    expect(passportRuns).toHaveBeenCalledTimes(1);
    expect((await present(token)).actor).toEqual(expect.objectContaining({ userId: USER_ID }));
    expect(passportRuns).toHaveBeenCalledTimes(1);
    // The cache skips the signature check, never the user and token version check.
    expect(auth.lookups).toBe(2);
  });

  it.each<[string, () => string]>([
    ['signed HS512 with the right secret (HS256 pinned)', () => accessToken({}, { algorithm: 'HS512' })],
    ['signed HS384 with the right secret (HS256 pinned)', () => accessToken({}, { algorithm: 'HS384' })],
    ['unsigned, alg none', () => unsigned({})],
    ['signed with another secret', () => accessToken({}, {}, 'another-secret-another-secret-0123456789')],
    ['expired a second ago (expiry enforced)', () => accessToken({ exp: now() - 1 })],
    ['of an older token version (a password change or a disable revoked it)', () => accessToken({ tv: 2 })],
    ['not an access token', () => accessToken({ typ: 'refresh' })],
    ['garbage', () => 'not.a.jwt'],
  ])('refuses a token %s with the same 401 as ever, counted as an invalid token', async (_name, forge) => {
    expect(await present(forge())).toEqual({ status: 401, message: 'invalid or expired access token' });
    expect(passportRuns).toHaveBeenCalledTimes(1);
    expect(limits.invalid).toEqual(['10.0.0.9']);
  });

  it('refuses a cached token once its user’s token version moved on', async () => {
    const token = accessToken({});
    expect((await present(token)).actor).toBeDefined();
    auth.tokenVersion += 1;
    expect(await present(token)).toEqual({ status: 401, message: 'invalid or expired access token' });
    expect(passportRuns).toHaveBeenCalledTimes(1);
  });

  it('keeps API keys (`vz_…`, not JWTs) off passport: the key path decides', async () => {
    expect((await present(`vz_${'K'.repeat(43)}`)).actor).toEqual(expect.objectContaining({ kind: 'api-key', apiKeyId: 'k1' }));
    expect(await present(`vz_${'X'.repeat(43)}`)).toEqual({ status: 401, message: 'invalid, expired or revoked API key' });
    expect(apiKeys.presented).toHaveLength(2);
    expect(passportRuns).not.toHaveBeenCalled();
  });
});
