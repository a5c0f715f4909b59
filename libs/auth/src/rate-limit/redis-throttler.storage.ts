import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type Redis from 'ioredis';
import { DependencyUnavailableError } from '@vulnzero/http';
import { REDIS_CLIENT } from '@vulnzero/queues';
import { outcomesOfBatch, ThrottleOutcome } from '../core/throttle-batch';

// One round trip, atomic across gateway replicas, for n hits on one key at
// once, counted as n hits in a row would be: those within the limit pass and
// are counted, the first one over it is counted and starts the block (for
// blockDuration), the rest meet the block uncounted. The window starts on the
// first hit. Replies {hits now, window ms left, hits passed, block ms left}.
const INCREMENT = `
local key, blockKey = KEYS[1], KEYS[2]
local ttl, limit, blockDuration = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local n = tonumber(ARGV[4] or '1')
local blocked = redis.call('PTTL', blockKey)
if blocked > 0 then
  return {tonumber(redis.call('GET', key) or '0'), redis.call('PTTL', key), 0, blocked}
end
local current = tonumber(redis.call('GET', key) or '0')
local passed = math.min(n, math.max(0, limit - current))
local counted = passed
if passed < n then counted = passed + 1 end
local hits = redis.call('INCRBY', key, counted)
if hits == counted then redis.call('PEXPIRE', key, ttl) end
local remaining = redis.call('PTTL', key)
if passed < n then
  redis.call('SET', blockKey, '1', 'PX', blockDuration)
  return {hits, remaining, passed, blockDuration}
end
return {hits, remaining, passed, 0}
`;

type Reply = [hits: number, windowMs: number, passed: number, blockMs: number];

interface ThrottleCommand {
  vzThrottle(key: string, blockKey: string, ttl: number, limit: number, blockDuration: number, n: number): Promise<Reply>;
}

interface Waiter {
  resolve: (outcome: ThrottleOutcome) => void;
  reject: (error: unknown) => void;
}

/** The hits on one counter (same key and settings) waiting for the next round trip. */
interface PendingHits {
  key: string;
  ttl: number;
  limit: number;
  blockDuration: number;
  throttlerName: string;
  waiters: Waiter[];
}

/**
 * Rate-limit counters in Redis, so limits hold across gateway replicas (docs/api.md#routes).
 * The hits that arrive in one turn of the event loop go to Redis together,
 * those on the same counter as one script call (a client polling on several
 * connections at once costs one call, not one each). Every hit is still
 * counted in Redis before its request goes on, and in the order they came.
 */
@Injectable()
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger(RedisThrottlerStorage.name);

  private readonly client: Redis;
  private readonly pending = new Map<string, PendingHits>();
  private flushScheduled = false;

  constructor(@Inject(REDIS_CLIENT) redis: Redis) {
    // Its own connection: the shared one carries the queues' traffic.
    this.client = redis.duplicate();
    this.client.on('error', () => undefined);
    this.client.defineCommand('vzThrottle', { numberOfKeys: 2, lua: INCREMENT });
    // Built by the throttler module's factory, not by Nest: it closes with the shared client.
    redis.once('end', () => this.client.disconnect());
  }

  increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottleOutcome> {
    return new Promise<ThrottleOutcome>((resolve, reject) => {
      const counter = `${throttlerName}:${key}:${ttl}:${limit}:${blockDuration}`;
      const hits = this.pending.get(counter);
      if (hits) hits.waiters.push({ resolve, reject });
      else this.pending.set(counter, { key, ttl, limit, blockDuration, throttlerName, waiters: [{ resolve, reject }] });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const batch = [...this.pending.values()];
    this.pending.clear();
    this.flushScheduled = false;
    if (batch.length === 1) {
      const hits = batch[0] as PendingHits;
      this.send(this.client as unknown as ThrottleCommand, hits)
        .then((reply) => this.settle(hits, reply))
        .catch((error: unknown) => this.fail(hits, error));
      return;
    }
    // Several counters: one write for all of them.
    const pipeline = this.client.pipeline();
    for (const hits of batch) void this.send(pipeline as unknown as ThrottleCommand, hits);
    pipeline.exec().then(
      (results) => {
        batch.forEach((hits, i) => {
          const [error, reply] = results?.[i] ?? [new Error('no reply from the pipeline'), undefined];
          if (error) this.fail(hits, error);
          else this.settle(hits, reply as Reply);
        });
      },
      (error: unknown) => batch.forEach((hits) => this.fail(hits, error)),
    );
  }

  private send(target: ThrottleCommand, hits: PendingHits): Promise<Reply> {
    const base = `vz:throttle:${hits.throttlerName}:${hits.key}`;
    return target.vzThrottle(base, `${base}:blocked`, hits.ttl, hits.limit, hits.blockDuration || hits.ttl, hits.waiters.length);
  }

  private settle(hits: PendingHits, reply: Reply): void {
    const [count, windowMs, passed, blockMs] = reply;
    const outcomes = outcomesOfBatch({ hits: count, windowMs, passed, blockMs }, hits.waiters.length);
    hits.waiters.forEach((waiter, i) => waiter.resolve(outcomes[i] as ThrottleOutcome));
  }

  private fail(hits: PendingHits, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    // Login fails closed: failing open would switch off brute-force
    // protection whenever Redis is down. Other limits fail open, so reads
    // (task status, deployments) keep working through a Redis outage.
    if (hits.throttlerName === 'login') {
      for (const waiter of hits.waiters) waiter.reject(new DependencyUnavailableError('rate limiter (redis)', message));
      return;
    }
    this.logger.warn(`rate limit ${hits.throttlerName} not counted for ${hits.waiters.length} request(s): ${message}`);
    for (const waiter of hits.waiters) waiter.resolve({ totalHits: 0, timeToExpire: 0, isBlocked: false, timeToBlockExpire: 0 });
  }
}
