import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type Redis from 'ioredis';
import { DependencyUnavailableError } from '@vulnzero/http';
import { REDIS_CLIENT } from '@vulnzero/queues';

// One round trip, atomic across gateway replicas: count the hit, start the
// window on the first one, and block for blockDuration once over the limit.
const INCREMENT = `
local key, blockKey = KEYS[1], KEYS[2]
local ttl, limit, blockDuration = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local blocked = redis.call('PTTL', blockKey)
if blocked > 0 then
  return {tonumber(redis.call('GET', key) or '0'), redis.call('PTTL', key), 1, blocked}
end
local hits = redis.call('INCR', key)
if hits == 1 then redis.call('PEXPIRE', key, ttl) end
local remaining = redis.call('PTTL', key)
if hits > limit then
  redis.call('SET', blockKey, '1', 'PX', blockDuration)
  return {hits, remaining, 1, blockDuration}
end
return {hits, remaining, 0, 0}
`;

interface ThrottleCommand {
  vzThrottle(key: string, blockKey: string, ttl: number, limit: number, blockDuration: number): Promise<unknown>;
}

/** Rate-limit counters in Redis, so limits hold across gateway replicas (SPEC §2). */
@Injectable()
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger(RedisThrottlerStorage.name);

  private readonly client: Redis;

  constructor(@Inject(REDIS_CLIENT) redis: Redis) {
    // Its own connection with auto-pipelining: the counts of concurrent requests
    // go to Redis in one write instead of one write each (a socket write costs
    // more than the script on a busy gateway). EVALSHA under the hood.
    this.client = redis.duplicate({ enableAutoPipelining: true });
    this.client.on('error', () => undefined);
    this.client.defineCommand('vzThrottle', { numberOfKeys: 2, lua: INCREMENT });
    // Built by the throttler module's factory, not by Nest: it closes with the shared client.
    redis.once('end', () => this.client.disconnect());
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string) {
    const base = `vz:throttle:${throttlerName}:${key}`;
    let reply: [number, number, number, number];
    try {
      reply = (await (this.client as unknown as ThrottleCommand).vzThrottle(base, `${base}:blocked`, ttl, limit, blockDuration || ttl)) as [
        number,
        number,
        number,
        number,
      ];
    } catch (error) {
      // Login fails closed: failing open would switch off brute-force
      // protection whenever Redis is down. Other limits fail open, so reads
      // (task status, deployments) keep working through a Redis outage.
      if (throttlerName === 'login') {
        throw new DependencyUnavailableError('rate limiter (redis)', (error as Error).message);
      }
      this.logger.warn(`rate limit ${throttlerName} not counted: ${(error as Error).message}`);
      return { totalHits: 0, timeToExpire: 0, isBlocked: false, timeToBlockExpire: 0 };
    }
    const [totalHits, ttlMs, isBlocked, blockMs] = reply;
    return {
      totalHits,
      timeToExpire: Math.max(0, Math.ceil(ttlMs / 1000)),
      isBlocked: isBlocked === 1,
      timeToBlockExpire: Math.max(0, Math.ceil(blockMs / 1000)),
    };
  }
}
