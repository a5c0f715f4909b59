import type { RedisOptions } from 'ioredis';

/**
 * ioredis options from a redis:// or rediss:// URL. BullMQ needs
 * `maxRetriesPerRequest: null` on its connections so that a Redis restart
 * makes workers wait and reconnect instead of failing their jobs.
 */
export function redisOptionsFromUrl(redisUrl: string, purpose: 'queue' | 'command'): RedisOptions {
  const url = new URL(redisUrl);
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : 6379,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db,
    tls: url.protocol === 'rediss:' ? {} : undefined,
    connectTimeout: 5000,
    retryStrategy: (attempt: number) => Math.min(attempt * 200, 5000),
    ...(purpose === 'queue'
      ? { maxRetriesPerRequest: null }
      : // Request paths (health, rate limits) must fail fast rather than hang while Redis is down.
        { maxRetriesPerRequest: 1, enableOfflineQueue: false }),
  };
}
