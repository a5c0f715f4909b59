import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from '@vulnzero/config';
import { redisOptionsFromUrl } from '@vulnzero/queues';

export type ChannelListener = (message: string) => void;

/**
 * One Redis subscriber connection per gateway, shared by every live stream:
 * channels are subscribed while someone listens and dropped after the last.
 * A failed subscribe is logged and the stream keeps to polling the record.
 */
@Injectable()
export class RedisChannels implements OnModuleDestroy {
  private readonly logger = new Logger(RedisChannels.name);
  private readonly subscriber: Redis;
  private readonly listeners = new Map<string, Set<ChannelListener>>();

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.subscriber = new Redis({ ...redisOptionsFromUrl(config.redisUrl, 'queue'), lazyConnect: true });
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (channel: string, message: string) => {
      for (const listener of this.listeners.get(channel) ?? []) listener(message);
    });
  }

  onModuleDestroy(): void {
    this.subscriber.disconnect();
  }

  /** Listens on `channel`; the returned function stops listening. */
  async listen(channel: string, listener: ChannelListener): Promise<() => void> {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      if (this.subscriber.status === 'wait') await this.subscriber.connect().catch(() => undefined);
      await this.subscriber.subscribe(channel).catch((error: Error) => {
        this.logger.warn({ channel, error: error.message }, 'live events unavailable; polling only');
      });
    }
    set.add(listener);
    return () => this.unlisten(channel, listener);
  }

  private unlisten(channel: string, listener: ChannelListener): void {
    const set = this.listeners.get(channel);
    if (!set) return;
    set.delete(listener);
    if (set.size === 0) {
      this.listeners.delete(channel);
      void this.subscriber.unsubscribe(channel).catch(() => undefined);
    }
  }
}
