import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@vulnzero/config';
import type { Actor } from '@vulnzero/auth';
import { TooManyRequestsError } from '@vulnzero/http';

/** What a refused caller is told to wait before trying again: streams end when their task does. */
const RETRY_AFTER_SECONDS = 5;

/**
 * Caps on the live streams (SSE) a gateway holds open: per caller (user or
 * API key) and in all (SSE_STREAMS_PER_CALLER, SSE_STREAMS_PER_GATEWAY). Each
 * open stream holds a socket, a Redis channel listener and a poll timer; the
 * caps keep one caller, or all of them, from exhausting the gateway.
 * Per gateway, not in Redis: the resource limited is this process's.
 */
@Injectable()
export class LiveStreamSlots {
  private readonly perCaller = new Map<string, number>();
  private total = 0;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Takes a slot for the request's caller, or throws 429; the returned function gives it back (once). */
  acquire(actor: Actor | undefined): () => void {
    const caller = actor ? (actor.apiKeyId ? `key:${actor.apiKeyId}` : `user:${actor.userId}`) : 'anonymous';
    const held = this.perCaller.get(caller) ?? 0;
    if (held >= this.config.sseStreamsPerCaller) {
      throw new TooManyRequestsError(
        `this caller already holds ${held} live streams (SSE_STREAMS_PER_CALLER): close one first`,
        RETRY_AFTER_SECONDS,
      );
    }
    if (this.total >= this.config.sseStreamsPerGateway) {
      throw new TooManyRequestsError(
        'this gateway holds as many live streams as it may (SSE_STREAMS_PER_GATEWAY): retry later',
        RETRY_AFTER_SECONDS,
      );
    }
    this.perCaller.set(caller, held + 1);
    this.total += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total -= 1;
      const left = (this.perCaller.get(caller) ?? 1) - 1;
      if (left > 0) this.perCaller.set(caller, left);
      else this.perCaller.delete(caller);
    };
  }
}
