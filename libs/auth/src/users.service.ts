import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull, Repository } from 'typeorm';
import { AuditService } from '@vulnzero/audit';
import { APP_CONFIG, AppConfig } from '@vulnzero/config';
import { keysetPage, Page } from '@vulnzero/database';
import { BadInputError, ConflictError, NotFoundError } from '@vulnzero/http';
import { checkPassword } from './core/password-policy';
import type { Role } from './core/permissions';
import { ActorCache } from './actor-cache';
import { ApiKeyEntity } from './api-key.entity';
import { PasswordHasher } from './password-hasher';
import { UserEntity } from './user.entity';

export interface UserView {
  id: string;
  username: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export function toUserView(user: UserEntity): UserView {
  return {
    id: user.id,
    username: user.username,
    role: user.role,
    disabled: user.disabled,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}

function isActiveAdmin(user: { role: Role; disabled: boolean }): boolean {
  return user.role === 'admin' && !user.disabled;
}

function assertPasswordPolicy(password: string, username: string): void {
  const problems = checkPassword(password, username);
  if (problems.length > 0)
    throw new BadInputError(
      problems.map((p) => p.message),
      { field: 'password' },
    );
}

@Injectable()
export class UsersService implements OnApplicationBootstrap {
  private readonly logger = new Logger(UsersService.name);

  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    private readonly hasher: PasswordHasher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly actors: ActorCache,
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditService,
  ) {}

  /** The first admin comes from ADMIN_USERNAME/ADMIN_PASSWORD when no user exists yet. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.adminUsername) return;
    if ((await this.users.count()) > 0) return;
    try {
      await this.create({ username: this.config.adminUsername, password: this.config.adminPassword, role: 'admin' }, { firstAdmin: true });
      this.logger.log(`created the first admin user "${this.config.adminUsername}"`);
    } catch (error) {
      // Two gateways starting together: the other one created it.
      if (error instanceof ConflictError) return;
      if (error instanceof BadInputError) {
        throw new Error(`ADMIN_PASSWORD: ${((error.details.errors as string[]) ?? [error.message]).join('; ')}`);
      }
      throw error;
    }
  }

  /** `firstAdmin`: the gateway creates it from its configuration, outside any request. */
  async create(input: { username: string; password: string; role: Role }, options: { firstAdmin?: boolean } = {}): Promise<UserEntity> {
    assertPasswordPolicy(input.password, input.username);
    if (await this.findByUsername(input.username)) {
      throw new ConflictError(`username ${input.username} is taken`, { field: 'username' });
    }
    const passwordHash = await this.hasher.hash(input.password);
    try {
      return await this.db.transaction(async (em) => {
        const users = em.getRepository(UserEntity);
        const user = await users.save(
          users.create({ username: input.username, passwordHash, role: input.role, disabled: false, tokenVersion: 0 }),
        );
        const change = {
          action: 'user.create',
          resourceType: 'user',
          resourceId: user.id,
          detail: { username: user.username, role: user.role },
        };
        if (options.firstAdmin) await this.audit.recordSystem(change, em, 'system:gateway');
        else await this.audit.recordChange(em, change);
        return user;
      });
    } catch (error) {
      if ((error as { code?: string }).code === '23505') {
        throw new ConflictError(`username ${input.username} is taken`, { field: 'username' });
      }
      throw error;
    }
  }

  findByUsername(username: string): Promise<UserEntity | null> {
    return this.users.createQueryBuilder('u').where('lower(u.username) = lower(:username)', { username }).getOne();
  }

  async get(id: string): Promise<UserEntity> {
    const user = await this.users.findOneBy({ id });
    if (!user) throw new NotFoundError('user', id);
    return user;
  }

  findActive(id: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ id, disabled: false });
  }

  list(page: { cursor?: string; limit: number }): Promise<Page<UserEntity>> {
    return keysetPage(this.users.createQueryBuilder('u'), 'u', page);
  }

  /**
   * Any change ends the user's sessions (token version). Disabling the user or
   * changing their password also revokes their API keys, in the same
   * transaction as the change and its audit row.
   */
  async update(id: string, patch: { role?: Role; disabled?: boolean; password?: string }): Promise<UserEntity> {
    let passwordHash: string | undefined;
    if (patch.password !== undefined) {
      const current = await this.get(id);
      assertPasswordPolicy(patch.password, current.username);
      // Hashed before the transaction: no row stays locked for the hash's 50 ms.
      passwordHash = await this.hasher.hash(patch.password);
    }
    const saved = await this.db.transaction(async (em) => {
      const user = await this.lockForChange(em, id);
      const before = { role: user.role, disabled: user.disabled };
      if (patch.role !== undefined) user.role = patch.role;
      if (patch.disabled !== undefined) user.disabled = patch.disabled;
      if (passwordHash !== undefined) user.passwordHash = passwordHash;
      if (isActiveAdmin(before) && !isActiveAdmin(user)) await this.assertAnotherActiveAdmin(em, id);
      user.tokenVersion += 1;
      const stored = await em.getRepository(UserEntity).save(user);
      const disabledNow = !before.disabled && user.disabled;
      const revokedKeys = disabledNow || passwordHash !== undefined ? await this.revokeApiKeys(em, id) : [];
      await this.audit.recordChange(em, {
        action: 'user.update',
        resourceType: 'user',
        resourceId: id,
        detail: {
          username: user.username,
          changes: {
            ...(before.role !== user.role ? { role: { from: before.role, to: user.role } } : {}),
            ...(before.disabled !== user.disabled ? { disabled: { from: before.disabled, to: user.disabled } } : {}),
            ...(passwordHash !== undefined ? { password: 'changed' } : {}),
          },
          sessionsEnded: true,
          apiKeysRevoked: revokedKeys,
        },
      });
      return stored;
    });
    // Before answering: cached sessions of this user end now, here and on every gateway.
    await this.actors.userChanged(id);
    return saved;
  }

  async delete(id: string): Promise<void> {
    await this.db.transaction(async (em) => {
      const user = await this.lockForChange(em, id);
      if (isActiveAdmin(user)) await this.assertAnotherActiveAdmin(em, id);
      const revokedKeys = await this.revokeApiKeys(em, id);
      await em.getRepository(UserEntity).delete({ id });
      await this.audit.recordChange(em, {
        action: 'user.delete',
        resourceType: 'user',
        resourceId: id,
        detail: { username: user.username, role: user.role, apiKeysRevoked: revokedKeys },
      });
    });
    await this.actors.userChanged(id);
  }

  /**
   * Locks every active admin (always in id order, so two changes never
   * deadlock), then the user itself. Two requests demoting or disabling the
   * last two admins at once are serialized here: the second one sees the
   * first's result and is refused.
   */
  private async lockForChange(em: EntityManager, id: string): Promise<UserEntity> {
    await em.query(`SELECT id FROM users WHERE role = 'admin' AND disabled = false ORDER BY id FOR UPDATE`);
    const user = await em.getRepository(UserEntity).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!user) throw new NotFoundError('user', id);
    return user;
  }

  /** Never lock everyone out: the last active admin cannot be demoted, disabled or deleted. */
  private async assertAnotherActiveAdmin(em: EntityManager, exceptId: string): Promise<void> {
    const others = await em
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .where("u.role = 'admin' AND u.disabled = false AND u.id <> :id", { id: exceptId })
      .getCount();
    if (others === 0) throw new ConflictError('the last active admin cannot be demoted, disabled or deleted');
  }

  /** Ids of the keys it revoked: a disabled user or a changed password leaves no key of the old one working. */
  private async revokeApiKeys(em: EntityManager, ownerId: string): Promise<string[]> {
    const result = await em
      .getRepository(ApiKeyEntity)
      .createQueryBuilder()
      .update()
      .set({ revokedAt: () => 'now()' })
      .where({ ownerId, revokedAt: IsNull() })
      .returning(['id'])
      .execute();
    return (result.raw as { id: string }[]).map((row) => row.id);
  }
}
