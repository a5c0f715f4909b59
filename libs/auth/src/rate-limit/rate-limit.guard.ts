import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerException, ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import type { Request } from 'express';
import type { RequestWithActor } from '../actor';

/**
 * Per-caller limits: by user or API key once authenticated, by address
 * otherwise. Answers 429 with a plain `Retry-After` whichever limit tripped.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
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
