import { Inject, Injectable } from '@nestjs/common';
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
      secretOrKey: config.jwtSecret,
      algorithms: ['HS256'],
      ignoreExpiration: false,
    });
  }

  async validate(payload: Partial<AccessTokenPayload>): Promise<Actor | false> {
    return (await this.auth.actorForToken(payload)) ?? false;
  }
}
