import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { AuditService } from '@vulnzero/audit';
import { utils, type ParsedKey } from 'ssh2';
import { BadInputError, ConflictError, NotFoundError } from '@vulnzero/http';
import { fingerprintSha256 } from '@vulnzero/ssh';
import {
  becomeProblems,
  classifyKeyParseError,
  type BecomeInput,
  keyParseProblem,
  passphraseProblem,
  privateKeyProblem,
  usernameProblem,
} from './core/credential-input';
import { isUuid, nameProblem } from './core/host-input';
import { decodeNameCursor, Page, pageOf } from './core/page-cursor';
import { CredentialEntity } from './credential.entity';
import { HostEntity } from './host.entity';
import { HostHolds } from './host-holds';
import { CredentialUnavailableError, HostHeldError } from './inventory.errors';
import { FOREIGN_KEY_VIOLATION, sqlState, UNIQUE_VIOLATION } from './postgres-errors';
import { SecretBox, SecretUnavailableError } from './secret-box';

export interface NewCredential {
  name: string;
  username: string;
  privateKey: string;
  passphrase?: string;
  /** Patch commands run as root through sudo; the password (if any) is sealed like the key. */
  become?: BecomeInput;
}

/** A credential's `become` as anyone may see it: whether a password is set, never the password. */
export interface BecomeView {
  method: 'sudo';
  password: boolean;
}

/** What anyone but the worker may see of a credential: nothing secret. */
export interface CredentialView {
  id: string;
  name: string;
  username: string;
  publicKeyFingerprint: string;
  /** Null: commands run as the login user. */
  become: BecomeView | null;
  createdAt: string;
}

/** For the worker's SSH connection only; never serialized, logged or returned over HTTP. */
export interface CredentialForUse {
  username: string;
  privateKey: string;
  passphrase?: string;
  /** Present when the deployment's commands run as root through sudo. */
  become?: BecomeInput;
}

function becomeViewOf(credential: Pick<CredentialEntity, 'becomeMethod' | 'becomePasswordCiphertext'>): BecomeView | null {
  return credential.becomeMethod ? { method: credential.becomeMethod, password: credential.becomePasswordCiphertext !== null } : null;
}

export function toCredentialView(credential: CredentialEntity): CredentialView {
  return {
    id: credential.id,
    name: credential.name,
    username: credential.username,
    publicKeyFingerprint: credential.publicKeyFingerprint,
    become: becomeViewOf(credential),
    createdAt: credential.createdAt.toISOString(),
  };
}

function secretContext(id: string, field: 'privateKey' | 'passphrase' | 'becomePassword'): string {
  return `credential:${id}:${field}`;
}

/** The public half of a private key, or the 400 message saying why there is none. */
function publicHalfOf(privateKey: string, passphrase?: string): { type: string; blob: Buffer } | string {
  let parsed: ParsedKey | ParsedKey[] | Error;
  try {
    parsed = utils.parseKey(privateKey, passphrase) as ParsedKey | ParsedKey[] | Error;
  } catch (error) {
    parsed = error instanceof Error ? error : new Error('unparsable');
  }
  if (parsed instanceof Error) return keyParseProblem(classifyKeyParseError(parsed.message));
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key) return keyParseProblem('unsupported');
  if (!key.isPrivateKey()) return keyParseProblem('public-key');
  return { type: key.type, blob: key.getPublicSSH() };
}

/** SSH credentials: parsed, sealed under the master key, never handed out but to the worker. */
@Injectable()
export class CredentialsService {
  constructor(
    @InjectRepository(CredentialEntity) private readonly credentials: Repository<CredentialEntity>,
    @InjectRepository(HostEntity) private readonly hosts: Repository<HostEntity>,
    private readonly secrets: SecretBox,
    private readonly holds: HostHolds,
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditService,
  ) {}

  async create(input: NewCredential): Promise<CredentialView> {
    const errors = [
      ['name', nameProblem(input.name)],
      ['username', usernameProblem(input.username)],
      ['privateKey', privateKeyProblem(input.privateKey)],
      ['passphrase', input.passphrase === undefined ? null : passphraseProblem(input.passphrase)],
    ]
      .filter(([, problem]) => problem !== null)
      .map(([field, problem]) => `${field}: ${problem}`);
    if (input.become !== undefined) errors.push(...becomeProblems(input.become));
    if (errors.length > 0) throw new BadInputError(errors);

    const publicHalf = publicHalfOf(input.privateKey, input.passphrase);
    if (typeof publicHalf === 'string') throw new BadInputError([publicHalf]);

    const id = randomUUID();
    const key = this.secrets.seal(input.privateKey, secretContext(id, 'privateKey'));
    const phrase = input.passphrase === undefined ? null : this.secrets.seal(input.passphrase, secretContext(id, 'passphrase'));
    const becomePassword =
      input.become?.password === undefined ? null : this.secrets.seal(input.become.password, secretContext(id, 'becomePassword'));
    const entity = this.credentials.create({
      id,
      name: input.name,
      username: input.username,
      publicKey: `${publicHalf.type} ${publicHalf.blob.toString('base64')}`,
      publicKeyFingerprint: fingerprintSha256(publicHalf.blob),
      keyId: key.keyId,
      privateKeyCiphertext: key.ciphertext,
      privateKeyIv: key.iv,
      privateKeyTag: key.tag,
      passphraseCiphertext: phrase?.ciphertext ?? null,
      passphraseIv: phrase?.iv ?? null,
      passphraseTag: phrase?.tag ?? null,
      becomeMethod: input.become?.method ?? null,
      becomePasswordCiphertext: becomePassword?.ciphertext ?? null,
      becomePasswordIv: becomePassword?.iv ?? null,
      becomePasswordTag: becomePassword?.tag ?? null,
    });
    try {
      await this.db.transaction(async (em) => {
        await em.insert(CredentialEntity, entity);
        await this.audit.recordChange(em, {
          action: 'credential.create',
          resourceType: 'credential',
          resourceId: id,
          // Whether secrets are set, never what they are.
          detail: {
            name: entity.name,
            username: entity.username,
            publicKeyFingerprint: entity.publicKeyFingerprint,
            passphrase: phrase !== null,
            become: becomeViewOf(entity),
          },
        });
      });
    } catch (error) {
      if (sqlState(error) === UNIQUE_VIOLATION) {
        throw new ConflictError(`name: a credential named ${input.name} already exists`, { name: input.name });
      }
      // The driver error carries the insert's parameters (ciphertexts): keep only what is safe.
      throw new Error(`could not store credential ${id}: ${sqlState(error) ?? 'database error'}`);
    }
    return toCredentialView(await this.find(id));
  }

  async list(query: { cursor?: string; limit: number }): Promise<Page<CredentialView>> {
    const rows = this.credentials.createQueryBuilder('c').orderBy('c.name', 'ASC');
    if (query.cursor !== undefined) {
      const after = decodeNameCursor(query.cursor);
      if (after === null) throw new BadInputError(['cursor: is not a cursor this list issued']);
      rows.where('c.name > :after', { after });
    }
    return pageOf(await rows.take(query.limit + 1).getMany(), query.limit, (c) => c.name, toCredentialView);
  }

  async get(id: string): Promise<CredentialView> {
    return toCredentialView(await this.find(id));
  }

  /**
   * Refused with 409 while a deployment under way pinned it (naming the
   * deployment) or any host still logs in with it.
   */
  async remove(id: string): Promise<void> {
    const credential = await this.find(id);
    // No lock needed: a held credential is also the credential of the held host
    // (which cannot change while held), so the foreign key refuses a racing delete.
    const hold = await this.holds.holdOnCredential(this.credentials.manager, credential.id);
    if (hold) throw new HostHeldError(`credential ${credential.name}`, 'deleting it', hold);
    await this.assertUnused(credential);
    try {
      await this.db.transaction(async (em) => {
        const removed = await em.delete(CredentialEntity, { id });
        if (!removed.affected) throw new NotFoundError('credential', id);
        await this.audit.recordChange(em, {
          action: 'credential.delete',
          resourceType: 'credential',
          resourceId: id,
          detail: { name: credential.name, username: credential.username },
        });
      });
    } catch (error) {
      // A host registered between the check and the delete.
      if (sqlState(error) === FOREIGN_KEY_VIOLATION) await this.assertUnused(credential);
      throw error;
    }
  }

  /**
   * The decrypted login for an SSH connection. For the worker only: the result
   * must go straight to ssh2 and never into a response, log line or error.
   */
  async decryptForUse(id: string): Promise<CredentialForUse> {
    const credential = await this.find(id);
    try {
      const privateKey = this.secrets.open(
        {
          ciphertext: credential.privateKeyCiphertext,
          iv: credential.privateKeyIv,
          tag: credential.privateKeyTag,
          keyId: credential.keyId,
        },
        secretContext(id, 'privateKey'),
      );
      // An optional secret: all three columns, or none.
      const openOptional = (ciphertext: Buffer | null, iv: Buffer | null, tag: Buffer | null, field: 'passphrase' | 'becomePassword') =>
        ciphertext && iv && tag ? this.secrets.open({ ciphertext, iv, tag, keyId: credential.keyId }, secretContext(id, field)) : undefined;
      const passphrase = openOptional(credential.passphraseCiphertext, credential.passphraseIv, credential.passphraseTag, 'passphrase');
      const { becomeMethod } = credential;
      const becomePassword = openOptional(
        credential.becomePasswordCiphertext,
        credential.becomePasswordIv,
        credential.becomePasswordTag,
        'becomePassword',
      );
      return {
        username: credential.username,
        privateKey,
        ...(passphrase !== undefined ? { passphrase } : {}),
        ...(becomeMethod
          ? { become: { method: becomeMethod, ...(becomePassword !== undefined ? { password: becomePassword } : {}) } }
          : {}),
      };
    } catch (error) {
      if (error instanceof SecretUnavailableError) throw new CredentialUnavailableError(id, error.message);
      throw error;
    }
  }

  private async find(id: string): Promise<CredentialEntity> {
    const credential = isUuid(id) ? await this.credentials.findOneBy({ id: id.toLowerCase() }) : null;
    if (!credential) throw new NotFoundError('credential', id);
    return credential;
  }

  private async assertUnused(credential: CredentialEntity): Promise<void> {
    const [users, count] = await this.hosts.findAndCount({
      where: { credentialId: credential.id },
      order: { name: 'ASC' },
      take: 10,
      select: { id: true, name: true },
    });
    if (count === 0) return;
    const names = users.map((h) => h.name).join(', ');
    throw new ConflictError(
      `credential ${credential.name} is used by ${count} host(s) (${names}${count > users.length ? ', …' : ''}): move or delete them first`,
      { hostCount: count },
    );
  }
}
