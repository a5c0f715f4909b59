import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { APP_CONFIG, AppConfig } from '@vulnzero/config';
import { DomainError } from '@vulnzero/http';
import type { Actor } from './actor';
import { ActorCache } from './actor-cache';
import { PasswordHasher } from './password-hasher';
import { AbuseLimits } from './rate-limit/abuse-limits';
import { UsersService } from './users.service';

export interface AccessTokenPayload {
  sub: string;
  /** Token version: a user's change of password, role or status invalidates older tokens. */
  tv: number;
  typ: 'access';
}

export class InvalidCredentialsError extends DomainError {
  constructor() {
    super(401, 'invalid username or password');
  }
}

@Injectable()
export class AuthService {
  // Verifying against a real hash when the user does not exist keeps the
  // response time the same, so login does not reveal which usernames exist.
  private dummyHash?: Promise<string>;

  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly jwt: JwtService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly actors: ActorCache,
    private readonly limits: AbuseLimits,
  ) {}

  /**
   * `address` is the client's (for the failed-login limits); an attempt over
   * a limit is refused (429) before the password is checked.
   */
  async login(username: string, password: string, address?: string): Promise<{ accessToken: string; expiresIn: number }> {
    const attempt = { address, username };
    await this.limits.admitLogin(attempt);
    const user = await this.users.findByUsername(username);
    this.dummyHash ??= this.hasher.hash(randomBytes(16).toString('hex'));
    const valid = await this.hasher.verify(user?.passwordHash ?? (await this.dummyHash), password);
    if (!user || !valid || user.disabled) throw new InvalidCredentialsError();
    await this.limits.loginSucceeded(attempt);
    const payload: AccessTokenPayload = { sub: user.id, tv: user.tokenVersion, typ: 'access' };
    const accessToken = await this.jwt.signAsync(payload, {
      algorithm: 'HS256',
      expiresIn: this.config.jwtExpiresInSeconds,
      secret: this.config.jwtSecret,
    });
    return { accessToken, expiresIn: this.config.jwtExpiresInSeconds };
  }

  /**
   * What `actorForToken` answers when the user is in the actor cache, without
   * a promise; undefined when it would have to look the user up.
   */
  cachedActorForToken(payload: Partial<AccessTokenPayload>): Actor | undefined {
    if (payload.typ !== 'access' || typeof payload.sub !== 'string' || typeof payload.tv !== 'number') return undefined;
    return this.actors.get(payload.sub, payload.tv);
  }

  /** The actor of a verified token's payload, or null when the user is gone, disabled or the token is stale. */
  async actorForToken(payload: Partial<AccessTokenPayload>): Promise<Actor | null> {
    if (payload.typ !== 'access' || typeof payload.sub !== 'string' || typeof payload.tv !== 'number') return null;
    const cached = this.actors.get(payload.sub, payload.tv);
    if (cached) return cached;
    const ticket = this.actors.ticket();
    const user = await this.users.findActive(payload.sub).catch(() => null);
    if (!user || user.tokenVersion !== payload.tv) return null;
    const actor: Actor = { kind: 'user', userId: user.id, name: user.username, role: user.role };
    this.actors.remember(ticket, user.id, user.tokenVersion, actor);
    return actor;
  }
}
