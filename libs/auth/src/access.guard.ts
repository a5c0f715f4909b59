import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ANY_AUTHENTICATED, IS_PUBLIC, REQUIRED_PERMISSIONS } from './access.decorators';
import type { Actor, RequestWithActor } from './actor';
import { ApiKeysService } from './api-keys.service';
import { looksLikeApiKey } from './core/api-key-format';
import { Permission, roleHas } from './core/permissions';
import { JwtAccessStrategy } from './jwt-access.strategy';

function bearerToken(request: Request): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match ? (match[1] as string) : null;
}

/**
 * The global guard: every route needs a valid JWT or API key unless it is
 * marked public, and then the permission it declares. A route that declares
 * nothing is refused, so a forgotten decorator fails closed.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeysService,
    private readonly tokens: JwtAccessStrategy,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const request = context.switchToHttp().getRequest<Request & RequestWithActor>();
    const token = bearerToken(request);
    if (!token) throw new UnauthorizedException('missing bearer token');
    if (looksLikeApiKey(token)) {
      const actor = await this.apiKeys.authenticate(token);
      if (!actor) throw new UnauthorizedException('invalid, expired or revoked API key');
      request.actor = actor;
    } else {
      const actor = await this.tokens.authenticate(token);
      if (!actor) throw new UnauthorizedException('invalid or expired access token');
      request.actor = actor;
    }

    const actor = request.actor as Actor;
    if (this.reflector.getAllAndOverride<boolean>(ANY_AUTHENTICATED, targets)) return true;
    const required = this.reflector.getAllAndOverride<Permission[]>(REQUIRED_PERMISSIONS, targets);
    if (!required || required.length === 0) throw new ForbiddenException('this route grants no permission');
    const missing = required.filter((permission) => !roleHas(actor.role, permission));
    if (missing.length > 0) {
      throw new ForbiddenException(`role ${actor.role} lacks permission ${missing.join(', ')}`);
    }
    return true;
  }
}
