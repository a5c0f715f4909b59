import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, Repository } from 'typeorm';
import { AuditService } from '@vulnzero/audit';
import { BadInputError, ConflictError, NotFoundError } from '@vulnzero/http';
import { SshConnector, type SshTarget } from '@vulnzero/ssh';
import {
  connectionChanges,
  duplicateNames,
  HostDraft,
  hostKeyAfterPatch,
  isUuid,
  PinnedKey,
  pinnedKeyOf,
  validateHostBatch,
  validateHostDraft,
  validateHostPatch,
} from './core/host-input';
import { checkHostTargets, type HostTargets } from './core/host-targets';
import { Labels } from './core/labels';
import { decodeNameCursor, Page, pageOf } from './core/page-cursor';
import { CredentialEntity } from './credential.entity';
import { CredentialsService } from './credentials.service';
import { HostEntity } from './host.entity';
import { HostHolds } from './host-holds';
import { HostAddressCheck, trustFailure } from './host-address-check';
import { HostHeldError, HostKeyConflictError, HostNotPinnedError } from './inventory.errors';
import { hostWriteError } from './postgres-errors';

export type HostKeyStatus = 'pinned' | 'unpinned';

export interface HostView {
  id: string;
  name: string;
  address: string;
  port: number;
  credentialId: string;
  labels: Labels;
  hostKey: string | null;
  hostKeyFingerprint: string | null;
  hostKeyStatus: HostKeyStatus;
  hostKeyTrustedBy: string | null;
  hostKeyTrustedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export type { HostTargets } from './core/host-targets';

export function toHostView(host: HostEntity): HostView {
  return {
    id: host.id,
    name: host.name,
    address: host.address,
    port: host.port,
    credentialId: host.credentialId,
    labels: host.labels,
    hostKey: host.hostKey,
    hostKeyFingerprint: host.hostKeyFingerprint,
    hostKeyStatus: host.hostKey ? 'pinned' : 'unpinned',
    hostKeyTrustedBy: host.hostKeyTrustedBy,
    hostKeyTrustedAt: host.hostKeyTrustedAt?.toISOString() ?? null,
    createdAt: host.createdAt.toISOString(),
    updatedAt: host.updatedAt.toISOString(),
  };
}

/** How long the trust route waits for a host to finish the key exchange. */
export const TRUST_CONNECT_TIMEOUT_MS = 10_000;
const INSERT_CHUNK = 250;

function pinColumns(key: PinnedKey | null, by: string, now: Date): Partial<HostEntity> {
  return key
    ? { hostKey: key.line, hostKeyFingerprint: key.fingerprint, hostKeyTrustedBy: by, hostKeyTrustedAt: now }
    : { hostKey: null, hostKeyFingerprint: null, hostKeyTrustedBy: null, hostKeyTrustedAt: null };
}

/** What a host change did, field by field; a key is named by its fingerprint. */
function hostChanges(host: HostEntity, changes: Partial<HostEntity>): Record<string, { from: unknown; to: unknown }> {
  const diff: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of ['name', 'address', 'port', 'credentialId', 'labels', 'hostKeyFingerprint'] as const) {
    if (field in changes && JSON.stringify(changes[field]) !== JSON.stringify(host[field]))
      diff[field] = { from: host[field], to: changes[field] };
  }
  return diff;
}

/** The fleet: hosts, their labels and their pinned host keys. */
@Injectable()
export class HostsService {
  private readonly logger = new Logger(HostsService.name);

  constructor(
    @InjectRepository(HostEntity) private readonly hosts: Repository<HostEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly credentials: CredentialsService,
    private readonly ssh: SshConnector,
    private readonly holds: HostHolds,
    private readonly audit: AuditService,
    private readonly addressCheck: HostAddressCheck,
  ) {}

  /** Registers one host. `actor` is recorded as who pinned `hostKey`, when one is given. */
  async create(input: unknown, actor: string): Promise<HostEntity> {
    const result = validateHostDraft(input);
    if (!result.ok) throw new BadInputError(result.errors);
    await this.addressCheck.assertAllowed([{ address: result.value.address, field: 'address' }]);
    const [created] = await this.insertAll([result.value], actor, (i, field) => field);
    return created as HostEntity;
  }

  /**
   * Registers up to 1,000 hosts in one transaction: all or nothing. Every bad
   * item is named by index and field (400); names taken twice in the batch or
   * already registered answer 409 naming them.
   */
  async createMany(input: unknown, actor: string): Promise<HostEntity[]> {
    const result = validateHostBatch(input);
    if (!result.ok) throw new BadInputError(result.errors);
    const duplicates = duplicateNames(result.value.map((h) => h.name));
    if (duplicates.length > 0) {
      const errors = duplicates.map((d) => `hosts[${d.indexes.join('], hosts[')}].name: ${d.name} is given more than once`);
      throw new ConflictError(errors.join('; '), { errors, duplicateNames: duplicates.map((d) => d.name) });
    }
    await this.addressCheck.assertAllowed(result.value.map((h, i) => ({ address: h.address, field: `hosts[${i}].address` })));
    return this.insertAll(result.value, actor, (i, field) => `hosts[${i}].${field}`);
  }

  async list(query: { labels?: Labels; cursor?: string; limit: number }): Promise<Page<HostView>> {
    const rows = this.hosts.createQueryBuilder('h').orderBy('h.name', 'ASC');
    if (query.labels && Object.keys(query.labels).length > 0) {
      rows.andWhere('h.labels @> CAST(:labels AS jsonb)', { labels: JSON.stringify(query.labels) });
    }
    if (query.cursor !== undefined) {
      const after = decodeNameCursor(query.cursor);
      if (after === null) throw new BadInputError(['cursor: is not a cursor this list issued']);
      rows.andWhere('h.name > :after', { after });
    }
    return pageOf(await rows.take(query.limit + 1).getMany(), query.limit, (h) => h.name, toHostView);
  }

  async get(id: string): Promise<HostEntity> {
    const host = isUuid(id) ? await this.hosts.findOneBy({ id: id.toLowerCase() }) : null;
    if (!host) throw new NotFoundError('host', id);
    return host;
  }

  /**
   * Changes any subset of a host's fields; labels are replaced as a whole.
   * Moving the host (address or port) unpins its key unless the same request
   * pins a new one; `hostKey: null` unpins explicitly. While a deployment
   * holds the host, a change of address, port, host key or credential is
   * refused (409 naming it); name and labels still change.
   */
  async update(id: string, input: unknown, actor: string): Promise<HostEntity> {
    const result = validateHostPatch(input);
    if (!result.ok) throw new BadInputError(result.errors);
    const patch = result.value;
    if (!isUuid(id)) throw new NotFoundError('host', id);
    if (patch.address !== undefined) await this.addressCheck.assertAllowed([{ address: patch.address, field: 'address' }]);
    return this.dataSource.transaction(async (em) => {
      const host = await em.findOne(HostEntity, { where: { id: id.toLowerCase() }, lock: { mode: 'pessimistic_write' } });
      if (!host) throw new NotFoundError('host', id);
      if (patch.credentialId !== undefined) await this.assertCredentialsExist(em, [patch.credentialId], () => 'credentialId');
      const current = {
        address: host.address,
        port: host.port,
        hostKey: host.hostKey && host.hostKeyFingerprint ? { line: host.hostKey, fingerprint: host.hostKeyFingerprint } : null,
      };
      const pin = hostKeyAfterPatch(current, patch);
      const moves = connectionChanges({ ...current, credentialId: host.credentialId }, patch);
      if (moves.length > 0) await this.assertNotHeld(em, host, `changing its ${moves.join(', ')}`);
      const changes: Partial<HostEntity> = {
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.address !== undefined ? { address: patch.address } : {}),
        ...(patch.port !== undefined ? { port: patch.port } : {}),
        ...(patch.credentialId !== undefined ? { credentialId: patch.credentialId } : {}),
        ...(patch.labels !== undefined ? { labels: patch.labels } : {}),
        ...(pin.changed ? pinColumns(pin.hostKey, actor, new Date()) : {}),
      };
      if (Object.keys(changes).length > 0) {
        try {
          await em.update(HostEntity, { id: host.id }, changes);
        } catch (error) {
          throw hostWriteError(error, [patch.name ?? host.name], () => 'credentialId');
        }
      }
      await this.audit.recordChange(em, {
        action: 'host.update',
        resourceType: 'host',
        resourceId: host.id,
        detail: { name: host.name, changes: hostChanges(host, changes) },
      });
      return em.findOneByOrFail(HostEntity, { id: host.id });
    });
  }

  /** Refused (409 naming it) while a deployment holds the host. */
  async remove(id: string): Promise<void> {
    if (!isUuid(id)) throw new NotFoundError('host', id);
    await this.dataSource.transaction(async (em) => {
      const host = await em.findOne(HostEntity, { where: { id: id.toLowerCase() }, lock: { mode: 'pessimistic_write' } });
      if (!host) throw new NotFoundError('host', id);
      await this.assertNotHeld(em, host, 'deleting it');
      await em.delete(HostEntity, { id: host.id });
      await this.audit.recordChange(em, {
        action: 'host.delete',
        resourceType: 'host',
        resourceId: host.id,
        detail: { name: host.name, address: host.address, port: host.port },
      });
    });
  }

  /** The host's connection details are pinned by a deployment under way: they must not change. */
  private async assertNotHeld(em: EntityManager, host: HostEntity, change: string): Promise<void> {
    const hold = await this.holds.holdOnHost(em, host.id);
    if (hold) throw new HostHeldError(`host ${host.name}`, change, hold);
  }

  /**
   * Operator-approved trust: connects once, reads the key the host presents
   * (after ssh2 verified the key-exchange signature) and pins it, recording who
   * approved it. `expectedFingerprint` lets a careful operator insist on the
   * fingerprint they checked out of band. Replacing a different pinned key
   * requires that confirmation: a changed key is what an attacker in the path
   * would present. Refused (409 naming it) while a deployment holds the host:
   * it connects with the key it pinned.
   */
  async trustHostKey(id: string, options: { expectedFingerprint?: string }, actor: string): Promise<HostEntity> {
    const host = await this.get(id);
    // Before connecting anywhere; checked again with the row locked when pinning.
    await this.assertNotHeld(this.dataSource.manager, host, 'trusting a host key');
    let presented: PinnedKey;
    try {
      presented = pinnedKeyOf(await this.ssh.fetchHostKey(host.address, host.port, TRUST_CONNECT_TIMEOUT_MS));
    } catch (error) {
      throw trustFailure(host.name, error) ?? error;
    }
    const { expectedFingerprint } = options;
    if (expectedFingerprint !== undefined && expectedFingerprint !== presented.fingerprint) {
      throw new HostKeyConflictError(
        `host ${host.name} presents ${presented.fingerprint}, not the expected ${expectedFingerprint}: nothing was pinned`,
        { expectedFingerprint, presentedFingerprint: presented.fingerprint },
      );
    }
    if (host.hostKey && host.hostKey !== presented.line && expectedFingerprint === undefined) {
      throw new HostKeyConflictError(
        `host ${host.name} is pinned to ${host.hostKeyFingerprint} but now presents ${presented.fingerprint}: ` +
          'confirm the new fingerprint out of band and send it as expectedFingerprint to replace the pin',
        { pinnedFingerprint: host.hostKeyFingerprint, presentedFingerprint: presented.fingerprint },
      );
    }
    await this.dataSource.transaction(async (em) => {
      const now = await em.findOne(HostEntity, { where: { id: host.id }, lock: { mode: 'pessimistic_write' } });
      // Only if the host still points where we looked: a concurrent move must not inherit this key.
      if (!now || now.address !== host.address || now.port !== host.port) {
        throw new ConflictError(`host ${host.name} changed while its key was fetched: try again`);
      }
      await this.assertNotHeld(em, now, 'trusting a host key');
      await em.update(HostEntity, { id: host.id }, pinColumns(presented, actor, new Date()));
      await this.audit.recordChange(em, {
        action: 'host.trust-key',
        resourceType: 'host',
        resourceId: host.id,
        detail: { name: host.name, hostKeyFingerprint: { from: host.hostKeyFingerprint, to: presented.fingerprint } },
      });
    });
    this.logger.log({ hostId: host.id, fingerprint: presented.fingerprint, trustedBy: actor }, 'host key trusted');
    return this.get(host.id);
  }

  /**
   * The hosts a deployment or scan targets, ordered by name: exactly one of
   * `hostIds` (every id must exist: unknown ones answer 400 naming them) or
   * `labels` (all must match; at least one label, so that `{}` cannot mean
   * "the whole fleet" by accident). Unpinned hosts are included: callers
   * refuse them through `sshTargetFor`.
   */
  async resolveTargets(targets: HostTargets): Promise<HostEntity[]> {
    const checked = checkHostTargets(targets);
    if (checked.kind === 'invalid') throw new BadInputError(checked.problems);
    if (checked.kind === 'ids') {
      const found = await this.hosts.find({ where: { id: In(checked.ids) }, order: { name: 'ASC' } });
      const unknown = checked.ids.filter((id) => !found.some((h) => h.id === id));
      if (unknown.length > 0) {
        throw new BadInputError([`targets.hostIds: unknown host ids: ${unknown.join(', ')}`], { unknownHostIds: unknown });
      }
      return found;
    }
    return this.hosts
      .createQueryBuilder('h')
      .where('h.labels @> CAST(:labels AS jsonb)', { labels: JSON.stringify(checked.labels) })
      .orderBy('h.name', 'ASC')
      .getMany();
  }

  /**
   * Everything ssh2 needs to reach a host, credentials decrypted. Refuses an
   * unpinned host (409): no command goes to a host an operator has not trusted.
   * The result holds a secret: pass it to SshConnector.connect and drop it.
   */
  async sshTargetFor(host: HostEntity): Promise<SshTarget> {
    if (!host.hostKey) throw new HostNotPinnedError(host.name, host.id);
    const login = await this.credentials.decryptForUse(host.credentialId);
    return {
      address: host.address,
      port: host.port,
      hostKey: host.hostKey,
      username: login.username,
      privateKey: login.privateKey,
      ...(login.passphrase !== undefined ? { passphrase: login.passphrase } : {}),
    };
  }

  private async insertAll(drafts: HostDraft[], actor: string, fieldAt: (index: number, field: string) => string): Promise<HostEntity[]> {
    const now = new Date();
    const rows = drafts.map((draft) =>
      this.hosts.create({
        id: randomUUID(),
        name: draft.name,
        address: draft.address,
        port: draft.port,
        credentialId: draft.credentialId,
        labels: draft.labels,
        ...pinColumns(draft.hostKey, actor, now),
      }),
    );
    const names = drafts.map((d) => d.name);
    return this.dataSource.transaction(async (em) => {
      await this.assertCredentialsExist(
        em,
        drafts.map((d) => d.credentialId),
        (i) => fieldAt(i, 'credentialId'),
      );
      await this.assertNamesFree(em, names, (i) => fieldAt(i, 'name'));
      try {
        for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
          await em.insert(HostEntity, rows.slice(start, start + INSERT_CHUNK));
        }
      } catch (error) {
        throw hostWriteError(error, names, (i) => fieldAt(i, 'credentialId'));
      }
      const created = await em.find(HostEntity, { where: { id: In(rows.map((r) => r.id)) } });
      await this.audit.recordChanges(
        em,
        rows.map((r) => ({
          action: 'host.create',
          resourceType: 'host',
          resourceId: r.id,
          detail: {
            name: r.name,
            address: r.address,
            port: r.port,
            credentialId: r.credentialId,
            labels: r.labels,
            hostKeyFingerprint: r.hostKeyFingerprint,
          },
        })),
      );
      const byId = new Map(created.map((h) => [h.id, h]));
      return rows.map((r) => byId.get(r.id) as HostEntity);
    });
  }

  private async assertCredentialsExist(em: EntityManager, credentialIds: string[], fieldAt: (index: number) => string): Promise<void> {
    const distinct = [...new Set(credentialIds)];
    const found = await em.find(CredentialEntity, { where: { id: In(distinct) }, select: { id: true } });
    const known = new Set(found.map((c) => c.id));
    const errors = credentialIds.flatMap((id, index) => (known.has(id) ? [] : [`${fieldAt(index)}: no credential ${id}`]));
    if (errors.length > 0) throw new BadInputError(errors);
  }

  private async assertNamesFree(em: EntityManager, names: string[], fieldAt: (index: number) => string): Promise<void> {
    const taken = await em
      .createQueryBuilder(HostEntity, 'h')
      .select(['h.id', 'h.name'])
      .where('lower(h.name) IN (:...names)', { names: names.map((n) => n.toLowerCase()) })
      .getMany();
    if (taken.length === 0) return;
    const takenNames = new Set(taken.map((h) => h.name.toLowerCase()));
    const conflicts = names.flatMap((name, index) =>
      takenNames.has(name.toLowerCase()) ? [`${fieldAt(index)}: a host named ${name} already exists`] : [],
    );
    throw new ConflictError(conflicts.join('; '), { errors: conflicts, existingNames: taken.map((h) => h.name) });
  }
}
