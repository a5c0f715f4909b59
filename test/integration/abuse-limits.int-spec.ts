// The abuse limits on real Redis: an address that sent too many invalid
// tokens is refused before its next token is looked up (no query per
// guessed API key), and the login gate's counters are shared by gateways.
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { parseConfig } from '@vulnzero/config';
import { TooManyRequestsError } from '@vulnzero/http';
import { AccessGuard } from '../../libs/auth/src/access.guard';
import { RequirePermissions } from '../../libs/auth/src/access.decorators';
import type { ApiKeysService } from '../../libs/auth/src/api-keys.service';
import type { JwtAccessStrategy } from '../../libs/auth/src/jwt-access.strategy';
import { AbuseLimits } from '../../libs/auth/src/rate-limit/abuse-limits';

jest.setTimeout(30_000);

class TasksController {
  @RequirePermissions('tasks:read')
  list(): void {}
}

const config = (overrides: Record<string, string>) =>
  parseConfig(
    {
      DATABASE_URL: 'postgres://unused@127.0.0.1/unused',
      REDIS_URL: process.env.REDIS_URL,
      JWT_SECRET: 'x'.repeat(32),
      VULNZERO_MASTER_KEY: Buffer.alloc(32, 1).toString('base64'),
      ...overrides,
    },
    'gateway',
  );

const aKey = () => `vz_${randomBytes(32).toString('base64url')}`;
const anAddress = () => `10.${randomBytes(3).join('.')}`;

describe('AbuseLimits on real Redis', () => {
  let redis: Redis;
  const limits: AbuseLimits[] = [];

  beforeAll(() => {
    redis = new Redis(process.env.REDIS_URL as string);
  });

  afterAll(async () => {
    for (const limit of limits) limit.onModuleDestroy();
    await redis.quit();
  });

  const newLimits = (overrides: Record<string, string>) => {
    const made = new AbuseLimits(redis, config(overrides));
    limits.push(made);
    return made;
  };

  it('refuses an address over the invalid-token limit before the key is looked up, on another gateway too', async () => {
    const lookups: string[] = [];
    const apiKeys = { authenticate: async (key: string) => (lookups.push(key), null) } as unknown as ApiKeysService;
    const tokens = {} as JwtAccessStrategy;
    const guardOf = (abuse: AbuseLimits) => new AccessGuard(new Reflector(), apiKeys, tokens, abuse);
    const [first, second] = [
      guardOf(newLimits({ INVALID_TOKEN_LIMIT_PER_MINUTE: '3' })),
      guardOf(newLimits({ INVALID_TOKEN_LIMIT_PER_MINUTE: '3' })),
    ];
    const address = anAddress();
    const call = (guard: AccessGuard, ip = address) => {
      const req = { headers: { authorization: `Bearer ${aKey()}` }, ip };
      const context = {
        switchToHttp: () => ({ getRequest: () => req }),
        getHandler: () => TasksController.prototype.list,
        getClass: () => TasksController,
      } as unknown as ExecutionContext;
      return Promise.resolve()
        .then(() => guard.canActivate(context))
        .then(
          () => 'allowed',
          (error: { getStatus?: () => number; statusCode?: number }) => error.statusCode ?? error.getStatus?.(),
        );
    };
    expect([await call(first), await call(first), await call(second)]).toEqual([401, 401, 401]);
    expect(await call(first)).toBe(429);
    const looked = lookups.length;
    // Blocked now on both gateways: no lookup at all for the next guesses.
    expect([await call(first), await call(second)]).toEqual([429, 429]);
    expect(lookups.length).toBe(looked);
    // Another address is looked up and answered 401 as usual.
    expect(await call(second, anAddress())).toBe(401);
    expect(lookups.length).toBe(looked + 1);
  });

  it('admits a username’s free failures from any gateway, then delays the next attempt; a success ends the delay', async () => {
    const overrides = {
      LOGIN_USERNAME_FREE_FAILURES: '2',
      LOGIN_USERNAME_MAX_DELAY_SECONDS: '5',
      LOGIN_ADDRESS_FAILURES_PER_MINUTE: '100',
    };
    const [a, b] = [newLimits(overrides), newLimits(overrides)];
    const username = `gate-${randomBytes(4).toString('hex')}`;
    await a.admitLogin({ address: anAddress(), username });
    await b.admitLogin({ address: anAddress(), username });
    const delayed = await a.admitLogin({ address: anAddress(), username }).catch((error: unknown) => error);
    expect(delayed).toBeInstanceOf(TooManyRequestsError);
    expect((delayed as TooManyRequestsError).retryAfterSeconds).toBe(1);
    await b.loginSucceeded({ address: anAddress(), username });
    await expect(a.admitLogin({ address: anAddress(), username })).resolves.toBeUndefined();
  });
});
