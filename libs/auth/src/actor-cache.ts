import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS_CLIENT } from '@vulnzero/queues';
import type { Actor } from './actor';

/** Redis channel on which a gateway announces that a user changed (role, status, password) or was deleted. */
export const USER_CHANGES_CHANNEL = 'vz:users:changed';

/** Short enough that a change announced while a replica's subscriber was down is picked up soon anyway. */
const TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

interface Entry {
  tokenVersion: number;
  actor: Actor;
  expiresAt: number;
}

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
  private readonly entries = new Map<string, Entry>();
  private subscriber?: Redis;
  private listening = false;
  /** Bumped by every change: a lookup that raced with one is not remembered. */
  private generation = 0;

  constructor(@Inject(REDIS_CLIENT) private readonly redis: Redis) {}

  onModuleInit(): void {
    // Its own connection: a subscribed connection cannot send other commands.
    const subscriber = this.redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    this.subscriber = subscriber;
    subscriber.on('error', () => undefined);
    subscriber.on('close', () => this.stopCaching());
    subscriber.on('ready', () => {
      subscriber.subscribe(USER_CHANGES_CHANNEL).then(
        () => {
          this.entries.clear();
          this.listening = true;
        },
        (error: Error) => this.logger.warn(`user change subscription failed, user lookups not cached: ${error.message}`),
      );
    });
    subscriber.on('message', (channel: string, userId: string) => {
      if (channel === USER_CHANGES_CHANNEL) this.forget(userId);
    });
  }

  onModuleDestroy(): void {
    this.stopCaching();
    this.subscriber?.disconnect();
  }

  get(userId: string, tokenVersion: number): Actor | undefined {
    const entry = this.entries.get(userId);
    if (!entry || entry.tokenVersion !== tokenVersion) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(userId);
      return undefined;
    }
    return entry.actor;
  }

  /** Taken before looking a user up; `remember` drops the result if any user changed meanwhile. */
  ticket(): number {
    return this.generation;
  }

  remember(ticket: number, userId: string, tokenVersion: number, actor: Actor): void {
    if (!this.listening || ticket !== this.generation) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(userId, { tokenVersion, actor, expiresAt: Date.now() + TTL_MS });
  }

  /** A user changed: forget them here at once, and tell the other gateways. */
  async userChanged(userId: string): Promise<void> {
    this.forget(userId);
    await this.redis.publish(USER_CHANGES_CHANNEL, userId).catch((error: Error) => {
      this.logger.warn({ userId, error: error.message }, 'user change not announced; other gateways may accept the old state for a few seconds');
    });
  }

  private forget(userId: string): void {
    this.generation += 1;
    this.entries.delete(userId);
  }

  private stopCaching(): void {
    this.listening = false;
    this.generation += 1;
    this.entries.clear();
  }
}
