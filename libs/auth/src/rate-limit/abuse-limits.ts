import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type Redis from 'ioredis';
import { createHash } from 'node:crypto';
import { APP_CONFIG, AppConfig, clientAddressGroup } from '@vulnzero/config';
import { DependencyUnavailableError, TooManyRequestsError } from '@vulnzero/http';
import { REDIS_CLIENT } from '@vulnzero/queues';
import { usernameDelaySchedule } from '../core/login-delays';

const MINUTE_MS = 60_000;
/** A username's failures are forgotten this long after its last one. */
const USERNAME_MEMORY_MS = 15 * MINUTE_MS;

// Admits one login attempt or refuses it, atomically across gateways, with
// Redis's clock. KEYS: the address group's failure counter, the username's
// {n: failures, next: earliest next attempt (ms)}. ARGV: address limit,
// address window ms, username memory ms, then the delay schedule (ms after
// k failures, k = 0…). An admitted attempt counts as a failure at once (so
// parallel guesses cannot all slip through one check); a success takes it back.
// Replies {0, 0} admitted, {1, ms} address over its limit, {2, ms} username waiting.
const LOGIN_GATE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local failures = tonumber(redis.call('GET', KEYS[1]) or '0')
if failures >= tonumber(ARGV[1]) then
  return {1, math.max(1, redis.call('PTTL', KEYS[1]))}
end
local n = tonumber(redis.call('HGET', KEYS[2], 'n') or '0')
local nextAt = tonumber(redis.call('HGET', KEYS[2], 'next') or '0')
if now < nextAt then return {2, nextAt - now} end
if redis.call('INCR', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2])) end
n = n + 1
local delays = #ARGV - 3
local delay = tonumber(ARGV[3 + math.min(n + 1, delays)])
redis.call('HSET', KEYS[2], 'n', n, 'next', now + delay)
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[3]))
return {0, 0}
`;

// A success: the attempt was no failure after all, and the username starts afresh.
const LOGIN_SUCCEEDED = `
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then redis.call('DECR', KEYS[1]) end
redis.call('DEL', KEYS[2])
return 0
`;

// One more invalid token from an address group: {count in the window, window ms left}.
const COUNT_INVALID = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1])) end
return {n, redis.call('PTTL', KEYS[1])}
`;

interface AbuseCommands {
  vzLoginGate(addressKey: string, usernameKey: string, ...args: number[]): Promise<[number, number]>;
  vzLoginSucceeded(addressKey: string, usernameKey: string): Promise<number>;
  vzCountInvalid(key: string, windowMs: number): Promise<[number, number]>;
}

/** What the login gate needs to know of one attempt. */
export interface LoginAttempt {
  /** The client's address as the gateway sees it (`req.ip`, after TRUST_PROXY). */
  address: string | undefined;
  username: string;
}

/**
 * The limits on guessing, kept in Redis so they hold across gateways (docs/api.md#routes):
 * failed logins per address group across usernames, a growing delay per
 * username across addresses (never a lock: nobody can lock `admin` out), and
 * requests with invalid tokens per address group, refused before any lookup.
 * The per address-and-username limit is the `login` rate limit (rate-limits.ts).
 */
@Injectable()
export class AbuseLimits implements OnModuleDestroy {
  private readonly logger = new Logger(AbuseLimits.name);
  private readonly client: Redis & AbuseCommands;
  private readonly delays: number[];
  /** Address groups refused for invalid tokens, until when (ms): answered without Redis. */
  private readonly blocked = new Map<string, number>();

  constructor(
    @Inject(REDIS_CLIENT) redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.client = redis.duplicate({ enableAutoPipelining: true }) as Redis & AbuseCommands;
    this.client.on('error', () => undefined);
    this.client.defineCommand('vzLoginGate', { numberOfKeys: 2, lua: LOGIN_GATE });
    this.client.defineCommand('vzLoginSucceeded', { numberOfKeys: 2, lua: LOGIN_SUCCEEDED });
    this.client.defineCommand('vzCountInvalid', { numberOfKeys: 1, lua: COUNT_INVALID });
    this.delays = usernameDelaySchedule(config.loginUsernameFreeFailures, config.loginUsernameMaxDelaySeconds);
  }

  onModuleDestroy(): void {
    this.client.disconnect();
  }

  /**
   * Admits a login attempt (counted as a failure until `loginSucceeded`) or
   * throws 429 with Retry-After. Fails closed: without Redis, no guessing.
   */
  async admitLogin(attempt: LoginAttempt): Promise<void> {
    const [addressKey, usernameKey] = this.loginKeys(attempt);
    let reply: [number, number];
    try {
      reply = await this.client.vzLoginGate(
        addressKey,
        usernameKey,
        this.config.loginAddressFailuresPerMinute,
        MINUTE_MS,
        USERNAME_MEMORY_MS,
        ...this.delays,
      );
    } catch (error) {
      throw new DependencyUnavailableError('rate limiter (redis)', (error as Error).message);
    }
    const [verdict, waitMs] = reply;
    const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
    if (verdict === 1)
      throw new TooManyRequestsError('too many failed logins from this address: retry after the Retry-After delay', retryAfter);
    if (verdict === 2)
      throw new TooManyRequestsError(
        'too many failed logins for this username: the next attempt is allowed after the Retry-After delay',
        retryAfter,
      );
  }

  /** The attempt admitted by `admitLogin` succeeded: it was no failure, and the username's delay ends. */
  async loginSucceeded(attempt: LoginAttempt): Promise<void> {
    const [addressKey, usernameKey] = this.loginKeys(attempt);
    await this.client.vzLoginSucceeded(addressKey, usernameKey).catch((error: Error) => {
      this.logger.warn({ error: error.message }, 'login failure counters not reset after a success');
    });
  }

  /**
   * Throws 429 when the address group sent too many invalid tokens this
   * minute; called before a token is looked up. Fails open (a Redis outage
   * must not refuse valid tokens); the local memory still refuses known abusers.
   */
  async refuseIfBlocked(address: string | undefined): Promise<void> {
    const group = clientAddressGroup(address ?? 'unknown');
    const until = this.blocked.get(group);
    const now = Date.now();
    if (until !== undefined) {
      if (until > now) throw this.invalidTokensError(until - now);
      this.blocked.delete(group);
    }
    let count: string | null;
    try {
      count = await this.client.get(this.invalidKey(group));
    } catch {
      return;
    }
    if (Number(count ?? 0) >= this.config.invalidTokenLimitPerMinute) {
      const left = await this.client.pttl(this.invalidKey(group)).catch(() => MINUTE_MS);
      this.remember(group, now + Math.max(1000, left));
      throw this.invalidTokensError(Math.max(1000, left));
    }
  }

  /** Counts an invalid token from the address; throws 429 when that passes the limit. */
  async countInvalidToken(address: string | undefined): Promise<void> {
    const group = clientAddressGroup(address ?? 'unknown');
    let reply: [number, number];
    try {
      reply = await this.client.vzCountInvalid(this.invalidKey(group), MINUTE_MS);
    } catch (error) {
      this.logger.warn({ error: (error as Error).message }, 'invalid token not counted');
      return;
    }
    const [count, leftMs] = reply;
    if (count > this.config.invalidTokenLimitPerMinute) {
      this.remember(group, Date.now() + Math.max(1000, leftMs));
      throw this.invalidTokensError(leftMs);
    }
  }

  private remember(group: string, until: number): void {
    // Bounded: a flood from many addresses forgets, and Redis still counts.
    if (this.blocked.size >= 10_000) this.blocked.clear();
    this.blocked.set(group, until);
  }

  private invalidTokensError(waitMs: number): TooManyRequestsError {
    return new TooManyRequestsError(
      'too many requests with an invalid token from this address: retry after the Retry-After delay',
      Math.max(1, Math.ceil(waitMs / 1000)),
    );
  }

  private invalidKey(group: string): string {
    return `vz:invalid-token:${group}`;
  }

  private loginKeys(attempt: LoginAttempt): [string, string] {
    const username = createHash('sha256').update(attempt.username.toLowerCase()).digest('hex');
    return [`vz:login-fail:address:${clientAddressGroup(attempt.address ?? 'unknown')}`, `vz:login-fail:username:${username}`];
  }
}
