import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerException, ThrottlerGuard, ThrottlerLimitDetail, ThrottlerOptions, ThrottlerRequest } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { createHash } from 'node:crypto';
import type { RequestWithActor } from '../actor';
import { PerRoute } from '../core/per-route';

/** A limit that applies to a route, with everything but the caller resolved. */
interface PlannedLimit {
  throttler: ThrottlerOptions;
  limit: number;
  ttl: number;
  blockDuration: number;
  /** Null: the guard's own tracker, worked out without a promise. */
  getTracker: ThrottlerRequest['getTracker'] | null;
  generateKey: ThrottlerRequest['generateKey'];
  setHeaders: boolean;
  /** `''` for the default limit, `-<name>` for the others, as the library names its headers. */
  headerSuffix: string;
}

/** Distinct counter keys whose hash is remembered (route × limit × caller); a few MB at most. */
const MAX_REMEMBERED_KEYS = 10_000;
/** Longer key texts (a caller with a long username) are hashed every time, never kept. */
const MAX_REMEMBERED_KEY_TEXT = 256;

/**
 * Per-caller limits: by user or API key once authenticated, by address
 * otherwise. Answers 429 with a plain `Retry-After` whichever limit tripped.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  /** Per controller, then handler: the limits that apply, resolved once; null where the library must decide per request. */
  private readonly plans = new PerRoute<PlannedLimit[] | null>();
  /** The library's counter key (a SHA-256) by what it hashes: the same callers poll the same routes. */
  private readonly keys = new Map<string, string>();

  /**
   * What ThrottlerGuard does, with each route's limits worked out once instead
   * of on every request (about twenty metadata look-ups): this guard runs on
   * every API call. Our `skipIf`s depend on the route only (rate-limits.ts).
   * A route that uses the library's own decorators (@Throttle, @SkipThrottle),
   * or a limit given as a function, goes through the library every time.
   */
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const plan = this.planFor(context);
    if (!plan) return super.canActivate(context);
    for (const limit of plan) await this.count(limit, context);
    return true;
  }

  /**
   * The library's handleRequest for a planned limit: count the hit, refuse
   * with Retry-After over the limit, else set the X-RateLimit headers. The
   * same keys, counts and headers, without its per-request promises.
   */
  private async count(limit: PlannedLimit, context: ExecutionContext): Promise<void> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request & RequestWithActor>();
    const res = http.getResponse<Response>();
    const name = limit.throttler.name as string;
    const tracker = limit.getTracker ? await limit.getTracker(req as unknown as Record<string, unknown>, context) : this.trackerOf(req);
    const key = limit.generateKey(context, tracker, name);
    const { totalHits, timeToExpire, isBlocked, timeToBlockExpire } = await this.storageService.increment(
      key,
      limit.ttl,
      limit.limit,
      limit.blockDuration,
      name,
    );
    if (isBlocked) {
      if (limit.setHeaders) res.setHeader(`Retry-After${limit.headerSuffix}`, String(timeToBlockExpire));
      await this.throwThrottlingException(context, {
        limit: limit.limit,
        ttl: limit.ttl,
        key,
        tracker,
        totalHits,
        timeToExpire,
        isBlocked,
        timeToBlockExpire,
      });
    }
    if (limit.setHeaders) {
      res.setHeader(`${this.headerPrefix}-Limit${limit.headerSuffix}`, String(limit.limit));
      res.setHeader(`${this.headerPrefix}-Remaining${limit.headerSuffix}`, String(Math.max(0, limit.limit - totalHits)));
      res.setHeader(`${this.headerPrefix}-Reset${limit.headerSuffix}`, String(timeToExpire));
    }
  }

  private planFor(context: ExecutionContext): PlannedLimit[] | null {
    const handler = context.getHandler();
    const controller = context.getClass();
    return this.plans.get(controller, handler, () => {
      const decorated = [handler, controller].some((target) =>
        Reflect.getMetadataKeys(target).some((key) => String(key).startsWith('THROTTLER:')),
      );
      const dynamic = this.throttlers.some(
        (t) =>
          typeof t.limit !== 'number' ||
          typeof t.ttl !== 'number' ||
          (t.blockDuration !== undefined && typeof t.blockDuration !== 'number'),
      );
      const userAgents = [this.commonOptions.ignoreUserAgents, ...this.throttlers.map((t) => t.ignoreUserAgents)].some((list) =>
        Array.isArray(list),
      );
      if (decorated || dynamic || userAgents) return null;
      return this.throttlers
        .filter((throttler) => !(throttler.skipIf ?? this.commonOptions.skipIf)?.(context))
        .map((throttler) => ({
          throttler,
          limit: throttler.limit as number,
          ttl: throttler.ttl as number,
          blockDuration: (throttler.blockDuration as number | undefined) ?? (throttler.ttl as number),
          getTracker: throttler.getTracker ?? (Array.isArray(this.options) ? undefined : this.options.getTracker) ?? null,
          generateKey: (throttler.generateKey ?? this.commonOptions.generateKey) as ThrottlerRequest['generateKey'],
          setHeaders: throttler.setHeaders ?? this.commonOptions.setHeaders ?? true,
          headerSuffix: throttler.name === 'default' ? '' : `-${throttler.name}`,
        }));
    });
  }

  /**
   * The library's key, `sha256("<Controller>-<handler>-<limit>-<caller>")`,
   * hashed once per route and caller. Only short texts are remembered: the
   * login caller carries the username from a body not validated yet, and a
   * memo of such texts would let anonymous requests fill the gateway's memory.
   */
  protected override generateKey(context: ExecutionContext, suffix: string, name: string): string {
    const text = `${context.getClass().name}-${context.getHandler().name}-${name}-${suffix}`;
    let key = this.keys.get(text);
    if (key === undefined) {
      key = createHash('sha256').update(text).digest('hex');
      if (text.length > MAX_REMEMBERED_KEY_TEXT) return key;
      if (this.keys.size >= MAX_REMEMBERED_KEYS) this.keys.clear();
      this.keys.set(text, key);
    }
    return key;
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    return this.trackerOf(req as unknown as Request & RequestWithActor);
  }

  private trackerOf(request: Request & RequestWithActor): string {
    if (request.actor) return request.actor.apiKeyId ? `key:${request.actor.apiKeyId}` : `user:${request.actor.userId}`;
    return `ip:${request.ip ?? 'unknown'}`;
  }

  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const response = context.switchToHttp().getResponse<{ setHeader(name: string, value: string): void }>();
    response.setHeader('Retry-After', String(Math.max(1, detail.timeToBlockExpire)));
    throw new ThrottlerException('too many requests: slow down and retry after the Retry-After delay');
  }
}
