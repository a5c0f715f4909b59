import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerException, ThrottlerGuard, ThrottlerLimitDetail, ThrottlerRequest } from '@nestjs/throttler';
import type { Request } from 'express';
import type { RequestWithActor } from '../actor';
import { PerRoute } from '../core/per-route';

/**
 * Per-caller limits: by user or API key once authenticated, by address
 * otherwise. Answers 429 with a plain `Retry-After` whichever limit tripped.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  /** Per controller, then handler: the limits that apply, resolved once; null where the library must decide per request. */
  private readonly plans = new PerRoute<Omit<ThrottlerRequest, 'context'>[] | null>();

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
    if (await this.shouldSkip(context)) return true;
    // handleRequest answers true or throws the 429.
    for (const limit of plan) await this.handleRequest({ ...limit, context });
    return true;
  }

  private planFor(context: ExecutionContext): Omit<ThrottlerRequest, 'context'>[] | null {
    const handler = context.getHandler();
    const controller = context.getClass();
    return this.plans.get(controller, handler, () => {
      const decorated = [handler, controller].some((target) => Reflect.getMetadataKeys(target).some((key) => String(key).startsWith('THROTTLER:')));
      const dynamic = this.throttlers.some((t) => typeof t.limit !== 'number' || typeof t.ttl !== 'number' || (t.blockDuration !== undefined && typeof t.blockDuration !== 'number'));
      if (decorated || dynamic) return null;
      return this.throttlers
        .filter((throttler) => !(throttler.skipIf ?? this.commonOptions.skipIf)?.(context))
        .map((throttler) => ({
          throttler,
          limit: throttler.limit as number,
          ttl: throttler.ttl as number,
          blockDuration: (throttler.blockDuration as number | undefined) ?? (throttler.ttl as number),
          getTracker: (throttler.getTracker ?? this.commonOptions.getTracker) as ThrottlerRequest['getTracker'],
          generateKey: (throttler.generateKey ?? this.commonOptions.generateKey) as ThrottlerRequest['generateKey'],
        }));
    });
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const request = req as unknown as Request & RequestWithActor;
    if (request.actor) return request.actor.apiKeyId ? `key:${request.actor.apiKeyId}` : `user:${request.actor.userId}`;
    return `ip:${request.ip ?? 'unknown'}`;
  }

  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const response = context.switchToHttp().getResponse<{ setHeader(name: string, value: string): void }>();
    response.setHeader('Retry-After', String(Math.max(1, detail.timeToBlockExpire)));
    throw new ThrottlerException('too many requests: slow down and retry after the Retry-After delay');
  }
}
