import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { CredentialForUse, CredentialsService, HostEntity } from '@vulnzero/inventory';
import { SshConnectionError, SshConnector, SshSession } from '@vulnzero/ssh';
import { sshConnectionErrorsTotal } from './engine-metrics';

export class HostNotReachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostNotReachableError';
  }
}

/**
 * The SSH connections of one deployment run: one per host, opened on first
 * use and reused for capture, apply, verify, health and rollback; each
 * credential decrypted once per run. Host keys come from the inventory's pin
 * at connection time, and an unpinned host gets no connection at all.
 */
export class HostSessions {
  private readonly sessions = new Map<string, Promise<SshSession>>();
  private readonly logins = new Map<string, Promise<CredentialForUse>>();
  private hosts?: Promise<Map<string, HostEntity>>;

  constructor(
    private readonly hostIds: string[],
    private readonly db: DataSource,
    private readonly credentials: CredentialsService,
    private readonly connector: SshConnector,
  ) {}

  session(hostId: string): Promise<SshSession> {
    let session = this.sessions.get(hostId);
    if (!session) {
      session = this.open(hostId);
      this.sessions.set(hostId, session);
      // A failed connection is not cached: a later phase (rollback) tries again.
      session.catch(() => this.sessions.delete(hostId));
    }
    return session.then((s) => {
      if (s.isOpen) return s;
      this.sessions.delete(hostId);
      return this.session(hostId);
    });
  }

  /**
   * Opens connections ahead of need, at most `parallel` at a time, so the
   * handshakes of the next step overlap the current one. Connecting changes
   * nothing on a host; a failure here is left for the real attempt to report.
   */
  prewarm(hostIds: string[], parallel: number): void {
    const queue = hostIds.filter((id) => !this.sessions.has(id));
    const lane = async () => {
      for (let id = queue.shift(); id; id = queue.shift()) {
        await this.session(id).catch(() => undefined);
      }
    };
    for (let i = 0; i < Math.max(1, Math.min(parallel, queue.length)); i += 1) void lane();
  }

  async closeAll(): Promise<void> {
    const open = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(open.map((s) => s.then((session) => session.close()).catch(() => undefined)));
  }

  private async open(hostId: string): Promise<SshSession> {
    this.hosts ??= this.db
      .getRepository(HostEntity)
      .findBy({ id: In(this.hostIds) })
      .then((rows) => new Map(rows.map((h) => [h.id, h])));
    const host = (await this.hosts).get(hostId);
    if (!host) throw new HostNotReachableError('host no longer exists in the inventory');
    if (!host.hostKey) {
      throw new HostNotReachableError(`host key of ${host.name} is not pinned: trust it (POST /hosts/${host.id}/host-key/trust) first`);
    }
    let login = this.logins.get(host.credentialId);
    if (!login) {
      login = this.credentials.decryptForUse(host.credentialId);
      this.logins.set(host.credentialId, login);
    }
    const { username, privateKey, passphrase } = await login;
    try {
      return await this.connector.connect({
        address: host.address,
        port: host.port,
        username,
        privateKey,
        ...(passphrase !== undefined ? { passphrase } : {}),
        hostKey: host.hostKey,
      });
    } catch (error) {
      if (error instanceof SshConnectionError) sshConnectionErrorsTotal.inc({ kind: error.kind });
      throw error;
    }
  }
}

@Injectable()
export class HostSessionsFactory {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly credentials: CredentialsService,
    private readonly connector: SshConnector,
  ) {}

  create(hostIds: string[]): HostSessions {
    return new HostSessions(hostIds, this.db, this.credentials, this.connector);
  }
}
