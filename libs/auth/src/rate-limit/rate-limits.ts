import { ExecutionContext, SetMetadata } from '@nestjs/common';
import type { ThrottlerOptions } from '@nestjs/throttler';
import type { Request } from 'express';
import { clientAddressGroup, type AppConfig } from '@vulnzero/config';

const RATE_LIMITED = 'vulnzero:rateLimited';
type LimitName = 'login' | 'scan';

/** Puts a route under a stricter, named limit in addition to the per-caller default. */
export const RateLimited = (name: LimitName) => SetMetadata(RATE_LIMITED, name);

/**
 * No limit at all, for the health probes: an orchestrator's liveness probe
 * refused with 429 (say, behind a NAT shared with a busy client) would get a
 * healthy gateway restarted. On a controller or a handler.
 */
export const NotRateLimited = () => SetMetadata(RATE_LIMITED, 'none');

function limitOf(context: ExecutionContext): LimitName | 'none' | undefined {
  return (Reflect.getMetadata(RATE_LIMITED, context.getHandler()) ?? Reflect.getMetadata(RATE_LIMITED, context.getClass())) as
    LimitName | 'none' | undefined;
}

const MINUTE_MS = 60_000;

/**
 * The named limits. Each `skipIf` must depend on the route alone (its
 * decorators), never on the request: RateLimitGuard resolves it once per route.
 */
export function rateLimits(config: AppConfig): ThrottlerOptions[] {
  return [
    {
      name: 'default',
      ttl: MINUTE_MS,
      limit: config.rateLimitPerMinute,
      // Login is anonymous: counting it per address here would let one noisy
      // client lock every user of a shared NAT out; it has its own limit.
      skipIf: (context) => limitOf(context) === 'login' || limitOf(context) === 'none',
    },
    {
      name: 'login',
      ttl: MINUTE_MS,
      limit: config.loginRateLimitPerMinute,
      skipIf: (context) => limitOf(context) !== 'login',
      getTracker: (req) => {
        const request = req as unknown as Request;
        const username = typeof request.body?.username === 'string' ? request.body.username.toLowerCase() : '';
        return `${clientAddressGroup(request.ip ?? 'unknown')}|${username}`;
      },
    },
    {
      name: 'scan',
      ttl: MINUTE_MS,
      limit: config.scanRateLimitPerMinute,
      skipIf: (context) => limitOf(context) !== 'scan',
    },
  ];
}
