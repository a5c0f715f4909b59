import { Inject, Injectable } from '@nestjs/common';
import { createSecretKey, type KeyObject } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { APP_CONFIG, AppConfig } from '@vulnzero/config';
import type { Actor } from './actor';
import { AccessTokenPayload, AuthService } from './auth.service';
import { VerifiedTokens } from './core/verified-tokens';

/** Distinct live tokens remembered per gateway; a few MB at most. */
const MAX_VERIFIED_TOKENS = 10_000;

/**
 * Access tokens: HS256 only (so `alg: none` and asymmetric-key confusion are
 * refused), expiry enforced, and the user re-checked on every request (through
 * AuthService's short-lived, change-invalidated cache) so a disabled or deleted
 * user's tokens stop working at once. jsonwebtoken directly, without passport's
 * per-request strategy machinery: this runs on every API call. A token seen
 * before skips the signature check until its expiry (never longer); the user
 * is re-checked every time all the same.
 */
@Injectable()
export class JwtAccessStrategy {
  // A KeyObject, not the string: jsonwebtoken would otherwise try to parse
  // the secret as a PEM key on every request (a quarter of a gateway's CPU).
  private readonly key: KeyObject;
  private readonly verified = new VerifiedTokens<Partial<AccessTokenPayload>>(MAX_VERIFIED_TOKENS);

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly jwt: JwtService,
    private readonly auth: AuthService,
  ) {
    this.key = createSecretKey(Buffer.from(config.jwtSecret, 'utf8'));
  }

  /**
   * The actor of a token verified before whose user is in the actor cache:
   * what `authenticate` would answer, without a promise. Undefined otherwise
   * (not seen, expired, user not cached), and `authenticate` decides.
   */
  cachedActor(token: string): Actor | undefined {
    const payload = this.verified.get(token, Date.now());
    return payload ? this.auth.cachedActorForToken(payload) : undefined;
  }

  /** The actor of a valid access token; null when it is invalid, expired, or its user is gone, disabled or changed. */
  async authenticate(token: string): Promise<Actor | null> {
    const now = Date.now();
    let payload = this.verified.get(token, now);
    if (!payload) {
      let claims: Partial<AccessTokenPayload> & { exp?: unknown };
      try {
        claims = this.jwt.verify<Partial<AccessTokenPayload> & { exp?: unknown }>(token, {
          secret: this.key as unknown as string,
          algorithms: ['HS256'],
          ignoreExpiration: false,
        });
      } catch {
        return null;
      }
      this.verified.remember(token, claims, claims.exp, now);
      payload = claims;
    }
    return this.auth.actorForToken(payload);
  }
}
