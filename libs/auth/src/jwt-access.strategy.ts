import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { createSecretKey } from 'node:crypto';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
import { APP_CONFIG, AppConfig } from '@vulnzero/config';
import type { Actor } from './actor';
import { AccessTokenPayload, AuthService } from './auth.service';
import { bearerToken } from './core/bearer-token';
import { VerifiedTokens } from './core/verified-tokens';
import { JwtAuthGuard } from './jwt-auth.guard';

/** Distinct live tokens remembered per gateway; a few MB at most. */
const MAX_VERIFIED_TOKENS = 10_000;

type AccessTokenClaims = Partial<AccessTokenPayload> & { exp?: unknown };

/**
 * Access tokens, as passport's `jwt` strategy (passport-jwt): HS256 only (so
 * `alg: none` and asymmetric-key confusion are refused), expiry enforced, and
 * the user and token version re-checked on every request (through
 * AuthService's short-lived, change-invalidated cache) so that a password
 * change, a disable or a deletion ends the user's tokens at once.
 *
 * A token passport-jwt verified is remembered until its expiry (never longer):
 * a client polling with the same token skips passport and the HMAC, never the
 * user and token version check.
 */
@Injectable()
export class JwtAccessStrategy extends PassportStrategy(Strategy, 'jwt') {
  private readonly verified = new VerifiedTokens<AccessTokenClaims>(MAX_VERIFIED_TOKENS);

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly auth: AuthService,
    private readonly passportJwt: JwtAuthGuard,
  ) {
    super({
      jwtFromRequest: bearerToken,
      // A KeyObject, not the string: jsonwebtoken would otherwise try to parse
      // the secret as a PEM key on every verification (a quarter of a gateway's CPU).
      secretOrKey: createSecretKey(Buffer.from(config.jwtSecret, 'utf8')) as unknown as Buffer,
      algorithms: ['HS256'],
      ignoreExpiration: false,
      passReqToCallback: true,
    });
  }

  /**
   * passport-jwt's verify callback, once the signature, algorithm and expiry
   * checked out: the actor, or false (a 401) when the user is gone, disabled
   * or the token's version is stale.
   */
  async validate(request: { headers: { authorization?: string } }, claims: AccessTokenClaims): Promise<Actor | false> {
    const token = bearerToken(request);
    if (token) this.verified.remember(token, claims, claims.exp, Date.now());
    return (await this.auth.actorForToken(claims)) ?? false;
  }

  /**
   * The actor of a token verified before whose user is in the actor cache:
   * what passport would answer, without a promise. Undefined otherwise (not
   * seen, expired, user not cached).
   */
  cachedActor(token: string): Actor | undefined {
    const claims = this.verified.get(token, Date.now());
    return claims ? this.auth.cachedActorForToken(claims) : undefined;
  }

  /**
   * The actor of the request's access token `token`: passport-jwt verifies a
   * token not verified before. Null when the token is invalid, expired, or its
   * user is gone, disabled or changed.
   */
  actorOf(context: ExecutionContext, token: string): Promise<Actor | null> {
    const claims = this.verified.get(token, Date.now());
    return claims ? this.auth.actorForToken(claims) : this.passportJwt.actorOf(context);
  }
}
