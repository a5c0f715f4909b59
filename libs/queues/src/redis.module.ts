import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from '@vulnzero/config';
import { redisOptionsFromUrl } from './redis-connection';

export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

/** A fail-fast Redis client for request paths: health checks, rate limits, caches. */
@Global()
@Module({
  providers: [
    {
      provide: REDIS_CLIENT,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => {
        const client = new Redis(redisOptionsFromUrl(config.redisUrl, 'command'));
        // Without a listener ioredis prints every reconnect failure as an unhandled error.
        client.on('error', () => undefined);
        return client;
      },
    },
  ],
  exports: [REDIS_CLIENT],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS_CLIENT) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    this.redis.disconnect();
  }
}
