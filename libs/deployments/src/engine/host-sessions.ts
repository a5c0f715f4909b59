import { Injectable } from '@nestjs/common';
import { mapLimit } from '@vulnzero/async';
import { CredentialForUse, CredentialsService } from '@vulnzero/inventory';
import {
  ExecResult,
  PreparedKey,
  ResidentShell,
  ResidentShellGoneError,
  SshConnectionError,
  SshConnector,
  SshSession,
} from '@vulnzero/ssh';
import type { DeploymentHostEntity } from '../deployment.entity';
import { sshConnectionErrorsTotal } from './engine-metrics';

/** What a deployment pinned of a target when it was created: the only values its connections use. */
export type PinnedTarget = Pick<
  DeploymentHostEntity,
  'hostId' | 'hostName' | 'address' | 'resolvedAddress' | 'port' | 'hostKey' | 'credentialId'
>;

/** What runs a command on a host: its session, or the resident shell its patch left there. */
export interface HostCommandRunner {
  exec(command: string, options: { timeoutMs: number }): Promise<ExecResult>;
}

export class HostNotReachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostNotReachableError';
  }
}

/**
 * The address a deployment reaches a target at, for SSH and for worker-side
 * http/tcp health checks alike: the one pinned when the deployment was created.
 */
export function pinnedAddress(target: Pick<PinnedTarget, 'address' | 'resolvedAddress'>): string {
  if (target.resolvedAddress === null) {
    throw new HostNotReachableError(`${target.address} did not resolve when the deployment was created`);
  }
  return target.resolvedAddress;
}

/**
 * The SSH connections of one deployment run: one per host, opened on first
 * use and reused for capture, apply, verify, health and rollback; each
 * credential decrypted once per run. Address, port, host key and credential
 * are the ones the deployment pinned when it was created, never the live host
 * row: the machine it patched is the machine it re-checks and rolls back. A
 * target pinned without a host key gets no connection at all.
 */
export class HostSessions {
  private readonly sessions = new Map<string, Promise<SshSession>>();
  private readonly logins = new Map<string, Promise<CredentialForUse | (CredentialForUse & { prepared: PreparedKey })>>();
  /** Shells a host's patch left behind to run its health commands again (post-step re-checks). */
  private readonly residents = new Map<string, ResidentShell>();
  private readonly targets: Map<string, PinnedTarget>;
  private closed = false;

  constructor(
    targets: PinnedTarget[],
    private readonly credentials: CredentialsService,
    private readonly connector: SshConnector,
  ) {
    this.targets = new Map(targets.map((t) => [t.hostId, t]));
  }

  session(hostId: string): Promise<SshSession> {
    let session = this.sessions.get(hostId);
    if (!session) {
      if (this.closed) return Promise.reject(new HostNotReachableError('the run that opened this connection has ended'));
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
  prewarm(hostIds: string[], parallel: number, lanesAfter: Promise<unknown> = Promise.resolve()): void {
    const [first, ...rest] = hostIds.filter((id) => !this.sessions.has(id));
    // The first host is the one the deployment starts with (its canary): its
    // handshake goes alone, not slowed down by a burst of others.
    const alone = first ? this.session(first).catch(() => undefined) : Promise.resolve();
    void Promise.all([alone, lanesAfter]).then(() =>
      mapLimit(rest, Math.max(1, parallel), async (id) => {
        if (!this.closed) await this.session(id).catch(() => undefined);
      }),
    );
  }

  /** Keeps the shell a host's patch left behind, for that host's later health commands. */
  keepResident(hostId: string, shell: ResidentShell): void {
    this.residents.get(hostId)?.close();
    this.residents.set(hostId, shell);
  }

  /**
   * Runs commands on a host: a command its resident shell holds goes there (no
   * new channel or shell on the host), anything else, or when that shell is
   * gone, through a new channel of the host's session.
   */
  async runner(hostId: string): Promise<HostCommandRunner> {
    const session = await this.session(hostId);
    const resident = this.residents.get(hostId);
    if (!resident) return session;
    return {
      exec: async (command, options) => {
        const index = resident.alive ? resident.commands.indexOf(command) : -1;
        if (index < 0) return session.exec(command, options);
        try {
          return await resident.run(index, options.timeoutMs);
        } catch (error) {
          if (!(error instanceof ResidentShellGoneError)) throw error;
          this.residents.delete(hostId);
          return session.exec(command, options);
        }
      },
    };
  }

  async closeAll(): Promise<void> {
    // Prewarm lanes still running stop here; a connection they had under way closes as it opens.
    this.closed = true;
    const open = [...this.sessions.values()];
    this.sessions.clear();
    this.residents.clear();
    await Promise.all(open.map((s) => s.then((session) => session.close()).catch(() => undefined)));
  }

  private async open(hostId: string): Promise<SshSession> {
    const host = this.targets.get(hostId);
    if (!host) throw new HostNotReachableError('host is not a target of this deployment');
    const address = pinnedAddress(host);
    if (!host.hostKey) {
      throw new HostNotReachableError(
        `host key of ${host.hostName} was not pinned when the deployment was created: trust it (POST /hosts/${host.hostId}/host-key/trust), then retry`,
      );
    }
    const { credentialId } = host;
    if (!credentialId) throw new HostNotReachableError(`no credential was pinned for ${host.hostName}`);
    let login = this.logins.get(credentialId);
    if (!login) {
      login = this.credentials.decryptForUse(credentialId).then((credential) => {
        // Parsed once per credential and run, not once per connection; an
        // unreadable key goes as text, and each connection reports it.
        try {
          return { ...credential, prepared: this.connector.prepareKey(credential.privateKey, credential.passphrase) };
        } catch {
          return credential;
        }
      });
      this.logins.set(credentialId, login);
    }
    const credential = await login;
    const { username, privateKey, passphrase, become } = credential;
    try {
      return await this.connector.connect({
        address,
        port: host.port,
        username,
        ...('prepared' in credential
          ? { privateKey: credential.prepared }
          : { privateKey, ...(passphrase !== undefined ? { passphrase } : {}) }),
        hostKey: host.hostKey,
        // Every command of a deployment (capture, apply, verify, health, rollback) runs as root when the credential says so.
        ...(become ? { become } : {}),
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
    private readonly credentials: CredentialsService,
    private readonly connector: SshConnector,
  ) {}

  /** Sessions to a deployment's targets as it pinned them (its `deployment_hosts` rows). */
  create(targets: PinnedTarget[]): HostSessions {
    return new HostSessions(targets, this.credentials, this.connector);
  }
}
