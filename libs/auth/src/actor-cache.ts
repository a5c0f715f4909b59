import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { AnnouncedCache, REDIS_CLIENT } from '@vulnzero/queues';
import type { Actor } from './actor';

/** Redis channel on which a gateway announces that a user changed (role, status, password) or was deleted. */
export const USER_CHANGES_CHANNEL = 'vz:users:changed';

/**
 * The user behind an access token, remembered for a few seconds so that a
 * polling client (`GET /tasks/:id` every second) does not cost a user lookup
 * per request. Every user change bumps the token version and is announced:
 * the gateway that made it forgets the user before answering, the others when
 * the Redis message arrives. Entries are only kept while the subscription is
 * up; losing it empties the cache, so a missed message cannot keep a disabled
 * user in.
 */
@Injectable()
export class ActorCache implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ActorCache.name);
  private readonly cache = new AnnouncedCache<{ tokenVersion: number; actor: Actor }>({
    channel: USER_CHANGES_CHANNEL,
    what: 'user lookups',
    ttlMs: 5_000,
    maxEntries: 10_000,
  });

  constructor(@Inject(REDIS_CLIENT) private readonly redis: Redis) {}

  onModuleInit(): void {
    this.cache.start(this.redis);
  }

  onModuleDestroy(): void {
    this.cache.stop();
  }

  get(userId: string, tokenVersion: number): Actor | undefined {
    const entry = this.cache.get(userId);
    return entry && entry.tokenVersion === tokenVersion ? entry.actor : undefined;
  }

  /** Taken before looking a user up; `remember` drops the result if that user changed meanwhile. */
  ticket(): number {
    return this.cache.ticket();
  }

  remember(ticket: number, userId: string, tokenVersion: number, actor: Actor): void {
    this.cache.remember(ticket, userId, { tokenVersion, actor });
  }

  /** A user changed: forget them here at once, and tell the other gateways. */
  async userChanged(userId: string): Promise<void> {
    this.cache.forget(userId);
    await this.redis.publish(USER_CHANGES_CHANNEL, userId).catch((error: Error) => {
      this.logger.warn(
        { userId, error: error.message },
        'user change not announced; other gateways may accept the old state for a few seconds',
      );
    });
  }
}
