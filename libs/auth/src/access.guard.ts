import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ANY_AUTHENTICATED, IS_PUBLIC, REQUIRED_PERMISSIONS } from './access.decorators';
import type { Actor, RequestWithActor } from './actor';
import { ApiKeysService } from './api-keys.service';
import { looksLikeApiKey } from './core/api-key-format';
import { bearerToken } from './core/bearer-token';
import { PerRoute } from './core/per-route';
import { Permission, roleHas } from './core/permissions';
import { JwtAccessStrategy } from './jwt-access.strategy';
import { AbuseLimits } from './rate-limit/abuse-limits';

/** What a route's decorators say about access, read once per route. */
interface RouteAccess {
  isPublic: boolean;
  anyAuthenticated: boolean;
  required: Permission[];
}

/**
 * The global guard: every route needs a valid JWT or API key unless it is
 * marked public, and then the permission it declares. A route that declares
 * nothing is refused, so a forgotten decorator fails closed. The token's form
 * chooses its path: an API key (`vz_…`) is looked up by ApiKeysService, an
 * access token by passport-jwt (JwtAccessStrategy) unless it was verified
 * before.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  private readonly routes = new PerRoute<RouteAccess>();

  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeysService,
    private readonly tokens: JwtAccessStrategy,
    private readonly limits: AbuseLimits,
  ) {}

  /**
   * Synchronous when the caller's token and user are both cached (a client
   * polling a task): Nest then moves to the next guard without a promise.
   */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const access = this.routeAccess(context);
    if (access.isPublic) return true;

    const request = context.switchToHttp().getRequest<Request & RequestWithActor>();
    const token = bearerToken(request);
    if (!token) throw new UnauthorizedException('missing bearer token');
    if (!looksLikeApiKey(token)) {
      const cached = this.tokens.cachedActor(token);
      if (cached) {
        request.actor = cached;
        return this.permits(access, cached);
      }
    }
    return this.authenticate(context, request, token).then((actor) => this.permits(access, actor));
  }

  /**
   * An address that sent too many invalid tokens is refused (429) before its
   * token is looked up: guessing API keys must not cost a query each.
   */
  private async authenticate(context: ExecutionContext, request: Request & RequestWithActor, token: string): Promise<Actor> {
    await this.limits.refuseIfBlocked(request.ip);
    const apiKey = looksLikeApiKey(token);
    const actor = apiKey ? await this.apiKeys.authenticate(token) : await this.tokens.actorOf(context, token);
    if (!actor) {
      await this.limits.countInvalidToken(request.ip);
      throw new UnauthorizedException(apiKey ? 'invalid, expired or revoked API key' : 'invalid or expired access token');
    }
    request.actor = actor;
    return actor;
  }

  private permits(access: RouteAccess, actor: Actor): true {
    if (access.anyAuthenticated) return true;
    if (access.required.length === 0) throw new ForbiddenException('this route grants no permission');
    const missing = access.required.filter((permission) => !roleHas(actor.role, permission));
    if (missing.length > 0) {
      throw new ForbiddenException(`role ${actor.role} lacks permission ${missing.join(', ')}`);
    }
    return true;
  }

  private routeAccess(context: ExecutionContext): RouteAccess {
    const handler = context.getHandler();
    const controller = context.getClass();
    return this.routes.get(controller, handler, () => {
      const targets = [handler, controller];
      return {
        isPublic: Boolean(this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)),
        anyAuthenticated: Boolean(this.reflector.getAllAndOverride<boolean>(ANY_AUTHENTICATED, targets)),
        required: this.reflector.getAllAndOverride<Permission[] | undefined>(REQUIRED_PERMISSIONS, targets) ?? [],
      };
    });
  }
}
