import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@vulnzero/config';
import { keysetPage, Page } from '@vulnzero/database';
import { BadInputError, ConflictError, NotFoundError } from '@vulnzero/http';
import { checkPassword } from './core/password-policy';
import type { Role } from './core/permissions';
import { ActorCache } from './actor-cache';
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

function assertPasswordPolicy(password: string, username: string): void {
  const problems = checkPassword(password, username);
  if (problems.length > 0) throw new BadInputError(problems.map((p) => p.message), { field: 'password' });
}

@Injectable()
export class UsersService implements OnApplicationBootstrap {
  private readonly logger = new Logger(UsersService.name);

  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    private readonly hasher: PasswordHasher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly actors: ActorCache,
  ) {}

  /** The first admin comes from ADMIN_USERNAME/ADMIN_PASSWORD when no user exists yet. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.adminUsername) return;
    if ((await this.users.count()) > 0) return;
    try {
      await this.create({ username: this.config.adminUsername, password: this.config.adminPassword, role: 'admin' });
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

  async create(input: { username: string; password: string; role: Role }): Promise<UserEntity> {
    assertPasswordPolicy(input.password, input.username);
    if (await this.findByUsername(input.username)) {
      throw new ConflictError(`username ${input.username} is taken`, { field: 'username' });
    }
    try {
      return await this.users.save(
        this.users.create({
          username: input.username,
          passwordHash: await this.hasher.hash(input.password),
          role: input.role,
          disabled: false,
          tokenVersion: 0,
        }),
      );
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

  async update(id: string, patch: { role?: Role; disabled?: boolean; password?: string }): Promise<UserEntity> {
    const user = await this.get(id);
    if (patch.password !== undefined) {
      assertPasswordPolicy(patch.password, user.username);
      user.passwordHash = await this.hasher.hash(patch.password);
    }
    if (patch.role !== undefined) user.role = patch.role;
    if (patch.disabled !== undefined) user.disabled = patch.disabled;
    if (user.role !== 'admin' || user.disabled) await this.assertAnotherActiveAdmin(user.id);
    // Any change to who the user is or what they may do ends their current sessions.
    user.tokenVersion += 1;
    const saved = await this.users.save(user);
    // Before answering: cached sessions of this user end now, here and on every gateway.
    await this.actors.userChanged(id);
    return saved;
  }

  async delete(id: string): Promise<void> {
    const user = await this.get(id);
    await this.assertAnotherActiveAdmin(user.id);
    await this.users.delete({ id });
    await this.actors.userChanged(id);
  }

  /** Never lock everyone out: the last active admin cannot be demoted, disabled or deleted. */
  private async assertAnotherActiveAdmin(exceptId: string): Promise<void> {
    const others = await this.users
      .createQueryBuilder('u')
      .where("u.role = 'admin' AND u.disabled = false AND u.id <> :id", { id: exceptId })
      .getCount();
    const target = await this.users.findOneBy({ id: exceptId });
    if (others === 0 && target?.role === 'admin') {
      throw new ConflictError('the last active admin cannot be demoted, disabled or deleted');
    }
  }
}
