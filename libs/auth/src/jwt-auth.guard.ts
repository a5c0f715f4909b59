import { ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { Actor, RequestWithActor } from './actor';

/**
 * Runs passport's `jwt` strategy (JwtAccessStrategy) on a request, the
 * @nestjs/passport way. Not a global guard of its own: the access guard calls
 * it for an access token it has not verified before, and answers the 401
 * itself (its message, the count of invalid tokens).
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  /** The actor of the request's access token, or null when passport-jwt or the token version check refused it. */
  async actorOf(context: ExecutionContext): Promise<Actor | null> {
    await this.canActivate(context);
    return context.switchToHttp().getRequest<RequestWithActor>().actor ?? null;
  }

  override getAuthenticateOptions(): { session: false; property: keyof RequestWithActor } {
    return { session: false, property: 'actor' };
  }

  /** A refusal is an answer (null), not an exception: the access guard words the 401. */
  override handleRequest<TUser = Actor | null>(error: unknown, actor: Actor | false | null): TUser {
    if (error) throw error;
    return (actor || null) as TUser;
  }
}
