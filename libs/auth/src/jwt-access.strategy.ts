import { Inject, Injectable } from '@nestjs/common';
import { createSecretKey } from 'node:crypto';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { APP_CONFIG, AppConfig } from '@vulnzero/config';
import type { Actor } from './actor';
import { AccessTokenPayload, AuthService } from './auth.service';

/**
 * Access tokens: HS256 only (so `alg: none` and asymmetric-key confusion are
 * refused), expiry enforced, and the user re-checked on every request so a
 * disabled or deleted user's tokens stop working at once.
 */
@Injectable()
export class JwtAccessStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly auth: AuthService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // A KeyObject, not the string: jsonwebtoken would otherwise try to parse
      // the secret as a PEM key on every request (a quarter of a gateway's CPU).
      secretOrKey: createSecretKey(Buffer.from(config.jwtSecret, 'utf8')) as unknown as Buffer,
      algorithms: ['HS256'],
      ignoreExpiration: false,
    });
  }

  async validate(payload: Partial<AccessTokenPayload>): Promise<Actor | false> {
    return (await this.auth.actorForToken(payload)) ?? false;
  }
}
