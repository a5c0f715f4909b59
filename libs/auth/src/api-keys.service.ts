import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DataSource, IsNull, Repository } from 'typeorm';
import { AuditService } from '@vulnzero/audit';
import { keysetPage, Page } from '@vulnzero/database';
import { BadInputError, DomainError, NotFoundError } from '@vulnzero/http';
import type { Actor } from './actor';
import { apiKeyPrefix, formatApiKey } from './core/api-key-format';
import { Role, roleHas, roleWithin } from './core/permissions';
import { ApiKeyEntity } from './api-key.entity';
import { UsersService } from './users.service';

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  ownerId: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

export function toApiKeyView(key: ApiKeyEntity): ApiKeyView {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    role: key.role,
    ownerId: key.ownerId,
    expiresAt: key.expiresAt?.toISOString() ?? null,
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
    createdAt: key.createdAt.toISOString(),
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const LAST_USED_GRANULARITY_MS = 60_000;

@Injectable()
export class ApiKeysService {
  constructor(
    @InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>,
    private readonly users: UsersService,
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditService,
  ) {}

  /**
   * Only a signed-in user creates keys: a key that could mint keys would
   * outlive its own revocation (revoke it, and its children still work).
   */
  async create(
    creator: Actor,
    input: { name: string; role: Role; expiresAt?: Date },
    now = new Date(),
  ): Promise<{ entity: ApiKeyEntity; key: string }> {
    if (creator.kind !== 'user') {
      throw new DomainError(403, 'an API key cannot create API keys: sign in as a user (POST /auth/login) to create one');
    }
    if (!roleWithin(input.role, creator.role)) {
      throw new DomainError(403, `a key with role ${input.role} would exceed your role ${creator.role}`, { field: 'role' });
    }
    if (input.expiresAt && input.expiresAt.getTime() <= now.getTime()) {
      throw new BadInputError('expiresAt must be in the future', { field: 'expiresAt' });
    }
    const { key, prefix } = formatApiKey(randomBytes(32));
    const entity = await this.db.transaction(async (em) => {
      const keys = em.getRepository(ApiKeyEntity);
      const saved = await keys.save(
        keys.create({
          name: input.name,
          prefix,
          keyHash: sha256(key),
          role: input.role,
          ownerId: creator.userId,
          expiresAt: input.expiresAt ?? null,
          lastUsedAt: null,
          revokedAt: null,
        }),
      );
      await this.audit.recordChange(em, {
        action: 'api-key.create',
        resourceType: 'api-key',
        resourceId: saved.id,
        detail: { name: saved.name, prefix: saved.prefix, role: saved.role, ownerId: saved.ownerId, expiresAt: saved.expiresAt },
      });
      return saved;
    });
    return { entity, key };
  }

  list(viewer: Actor, page: { cursor?: string; limit: number }): Promise<Page<ApiKeyEntity>> {
    const query = this.keys.createQueryBuilder('k');
    if (!roleHas(viewer.role, 'api-keys:manage-all')) query.where('k.owner_id = :owner', { owner: viewer.userId });
    return keysetPage(query, 'k', page);
  }

  async revoke(viewer: Actor, id: string, now = new Date()): Promise<ApiKeyEntity> {
    const key = await this.keys.findOneBy({ id });
    const visible = key && (key.ownerId === viewer.userId || roleHas(viewer.role, 'api-keys:manage-all'));
    if (!key || !visible) throw new NotFoundError('api key', id);
    if (!key.revokedAt) {
      key.revokedAt = now;
      await this.db.transaction(async (em) => {
        const revoked = await em.getRepository(ApiKeyEntity).update({ id, revokedAt: IsNull() }, { revokedAt: now });
        if (!revoked.affected) return;
        await this.audit.recordChange(em, {
          action: 'api-key.revoke',
          resourceType: 'api-key',
          resourceId: id,
          detail: { name: key.name, prefix: key.prefix, ownerId: key.ownerId },
        });
      });
    }
    return key;
  }

  /** The actor a presented key stands for, or null when it is unknown, revoked, expired or orphaned. */
  async authenticate(presented: string, now = new Date()): Promise<Actor | null> {
    const prefix = apiKeyPrefix(presented);
    if (!prefix) return null;
    const key = await this.keys.findOneBy({ prefix });
    if (!key) return null;
    const expected = Buffer.from(key.keyHash, 'hex');
    const actual = Buffer.from(sha256(presented), 'hex');
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null;
    if (key.revokedAt || (key.expiresAt && key.expiresAt.getTime() <= now.getTime())) return null;
    const owner = await this.users.findActive(key.ownerId);
    if (!owner) return null;
    // A key never outranks its owner, even after the owner was demoted.
    if (!roleWithin(key.role, owner.role)) return null;
    if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > LAST_USED_GRANULARITY_MS) {
      await this.keys.update({ id: key.id }, { lastUsedAt: now });
    }
    return { kind: 'api-key', userId: owner.id, name: `key:${key.name}`, role: key.role, apiKeyId: key.id };
  }
}
