import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Permission } from './core/permissions';
import type { Actor, RequestWithActor } from './actor';

export const IS_PUBLIC = 'vulnzero:public';
export const REQUIRED_PERMISSIONS = 'vulnzero:permissions';
export const ANY_AUTHENTICATED = 'vulnzero:anyAuthenticated';

/** Reachable without a token: health, docs, login. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/**
 * The permissions a route needs. Routes are denied by default: a route that is
 * neither public nor declares its permissions (or `AnyAuthenticated`) answers 403.
 */
export const RequirePermissions = (...permissions: Permission[]) => SetMetadata(REQUIRED_PERMISSIONS, permissions);

/** Any valid token will do (e.g. GET /auth/me). */
export const AnyAuthenticated = () => SetMetadata(ANY_AUTHENTICATED, true);

export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const request = context.switchToHttp().getRequest<RequestWithActor>();
  if (!request.actor) throw new Error('CurrentActor used on a route without authentication');
  return request.actor;
});
