import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';

export interface AnnouncedCacheOptions {
  /** The Redis channel on which changes are announced: each message is a key. */
  channel: string;
  /** What is cached, for log lines ("user lookups", "task views"). */
  what: string;
  /**
   * How long a value is kept unless `remember` is given its own: short enough
   * that a change whose announcement was lost is served soon anyway.
   */
  ttlMs: number;
  maxEntries: number;
}

/**
 * Values kept in one process for a few seconds, forgotten the moment any
 * process announces a change of their key on a Redis channel. Entries are only
 * kept while the subscription is up: losing it empties the cache, so a missed
 * message cannot keep an old value in. A lookup that raced with a change of
 * its own key (its ticket was taken before the change), or with a loss of the
 * subscription, is not remembered; changes of other keys do not hold it back,
 * so a busy channel does not keep the cache empty.
 */
export class AnnouncedCache<V> {
  private readonly logger: Logger;
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  private subscriber?: Redis;
  private listening = false;
  /** Bumped by every change and every reset; tickets are its values. */
  private sequence = 0;
  /** Lookups with an older ticket are not remembered (subscription up or lost, too many changes tracked). */
  private resetAt = 0;
  /** The sequence of each key's last change since the last reset. */
  private readonly changedAt = new Map<string, number>();

  constructor(private readonly options: AnnouncedCacheOptions) {
    this.logger = new Logger(`AnnouncedCache ${options.channel}`);
  }

  /** Subscribes on a connection of its own (a subscribed connection cannot send other commands). */
  start(redis: Redis): void {
    const subscriber = redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    this.subscriber = subscriber;
    subscriber.on('error', () => undefined);
    subscriber.on('close', () => this.stopCaching());
    subscriber.on('ready', () => {
      subscriber.subscribe(this.options.channel).then(
        () => {
          // A lookup that began before the subscription was up may have missed a change.
          this.reset();
          this.listening = true;
        },
        (error: Error) => this.logger.warn(`change subscription failed, ${this.options.what} not cached: ${error.message}`),
      );
    });
    subscriber.on('message', (channel: string, key: string) => {
      if (channel === this.options.channel) this.forget(key);
    });
  }

  /** True while the subscription is up: only then are values remembered. */
  get caching(): boolean {
    return this.listening;
  }

  stop(): void {
    this.stopCaching();
    this.subscriber?.disconnect();
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Taken before a lookup; `remember` drops its result if its key changed meanwhile. */
  ticket(): number {
    return this.sequence;
  }

  remember(ticket: number, key: string, value: V, ttlMs = this.options.ttlMs): void {
    if (!this.listening || ttlMs <= 0 || ticket < this.resetAt || (this.changedAt.get(key) ?? 0) > ticket) return;
    if (this.entries.size >= this.options.maxEntries) this.entries.clear();
    this.entries.set(key, { value, expiresAt: Date.now() + ttlMs });
  }

  /** Forgets `key` in this process at once (announcements do it in every process). */
  forget(key: string): void {
    // Bounded: past maxEntries tracked changes, every lookup under way is dropped instead.
    if (this.changedAt.size >= this.options.maxEntries) this.dropLookupsUnderWay();
    this.sequence += 1;
    this.changedAt.set(key, this.sequence);
    this.entries.delete(key);
  }

  private stopCaching(): void {
    this.listening = false;
    this.reset();
  }

  private reset(): void {
    this.dropLookupsUnderWay();
    this.entries.clear();
  }

  private dropLookupsUnderWay(): void {
    this.sequence += 1;
    this.resetAt = this.sequence;
    this.changedAt.clear();
  }
}
