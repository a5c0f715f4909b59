// A fleet of REAL OpenSSH servers on loopback addresses, for integration tests,
// the demo and benchmarks: one /usr/sbin/sshd per address (127.60.0.1, …), each
// with its own host key, config, pid file and state directory, all letting in
// one unprivileged user with one fleet key pair.
//
// Hosts are told apart through sshd `SetEnv`: VZ_HOST_NAME, VZ_STATE_DIR and
// DPKG_ADMINDIR (a per-host dpkg database, so `dpkg-query -W` answers per host).
import { execFile, spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { mapLimit } from '@vulnzero/async';

const execFileAsync = promisify(execFile);

export const DEFAULT_SUBNET = '127.60';
export const DEFAULT_PORT = 2222;
export const DEFAULT_FLEET_USER = 'vzfleet';
export const SSHD_PATH = '/usr/sbin/sshd';
const PRIVSEP_DIR = '/run/sshd';

export interface FleetOptions {
  /** First two or three octets of a 127.0.0.0/8 range: `127.60` or `127.60.4`. */
  subnet?: string;
  port?: number;
  /** Unprivileged login user shared by the fleet's hosts. */
  username?: string;
  /** Default `<repo>/.vulnzero/fleet/<subnet>`. */
  baseDir?: string;
  /** Parallel ssh-keygen / sshd starts. Default 16. */
  concurrency?: number;
  /** Deadline for all hosts to accept TCP. Default 120 s. */
  startTimeoutMs?: number;
  /** Host names are `<prefix>001`, `<prefix>002`, … Default `fleet-`. */
  namePrefix?: string;
  /**
   * Directories put first on every session's PATH (before the default
   * /usr/local/bin:/usr/bin:/bin:/usr/games), e.g. a suite's command shims.
   */
  extraPath?: string[];
  /**
   * Also lets in two login users of this fleet that may become root with
   * sudo (a credential's `become`), with the same fleet client key: one with
   * `NOPASSWD: ALL`, one that needs its password (`timestamp_timeout=0`: asked
   * on every sudo). Their sudoers file is removed by stop().
   */
  become?: boolean;
}

/** The sudo users of a fleet started with `become: true`. */
export interface FleetBecomeUsers {
  /** `NOPASSWD: ALL` */
  nopasswd: string;
  /** Needs `password` on every sudo. */
  password: { username: string; password: string };
}

export interface FleetHost {
  name: string;
  address: string;
  port: number;
  /** The host's public key as an OpenSSH line, `ssh-ed25519 AAAA…` (no comment). */
  hostKey: string;
  /** `SHA256:…`, as `ssh-keygen -l` prints it. */
  hostKeyFingerprint: string;
  /** What the host sees as $VZ_STATE_DIR; owned by the fleet user. */
  stateDir: string;
}

interface HostRuntime extends FleetHost {
  hostDir: string;
  configPath: string;
  pidFile: string;
  logFile: string;
  pid?: number;
}

/** The content of `<baseDir>/fleet.json`, for other processes (CLI, demo, bench). */
export interface FleetDescription {
  subnet: string;
  port: number;
  username: string;
  baseDir: string;
  privateKeyPath: string;
  publicKey: string;
  startedAt: string;
  become?: FleetBecomeUsers;
  hosts: (FleetHost & { configPath: string; pidFile: string; pid?: number })[];
}

export interface FleetHostStatus {
  name: string;
  address: string;
  pid: number | undefined;
  running: boolean;
}

/** The one concurrency limit (@vulnzero/async), under the name the fleet's callers know. */
export const mapWithConcurrency = mapLimit;

/** The repository root: the nearest parent holding the vulnzero package.json. */
export function findRepoRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (existsSync(candidate)) {
      try {
        if ((JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string }).name === 'vulnzero') return dir;
      } catch {
        // Not JSON we can read: keep walking up.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no vulnzero package.json above ${from}`);
    dir = parent;
  }
}

export function defaultFleetDir(subnet: string): string {
  return path.join(findRepoRoot(), '.vulnzero', 'fleet', subnet);
}

/** `127.60` → 127.60.0.1 … 127.60.0.254, 127.60.1.1 …; `127.60.4` → 127.60.4.1 … 127.60.4.254. */
export function fleetAddresses(subnet: string, count: number): string[] {
  const octets = subnet.split('.');
  const valid =
    octets[0] === '127' && (octets.length === 2 || octets.length === 3) && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255);
  if (!valid) throw new Error(`subnet must look like 127.X or 127.X.Y, got "${subnet}"`);
  const perBlock = 254; // last octet 1..254: .0 and .255 are skipped
  const blocks = octets.length === 2 ? 256 : 1;
  if (count > blocks * perBlock) throw new Error(`subnet ${subnet} holds at most ${blocks * perBlock} hosts`);
  return Array.from({ length: count }, (_, i) => {
    const third = octets.length === 3 ? Number(octets[2]) : Math.floor(i / perBlock);
    return `${octets[0]}.${octets[1]}.${third}.${(i % perBlock) + 1}`;
  });
}

function fingerprintOf(openSshLine: string): string {
  const blob = Buffer.from(openSshLine.split(/\s+/)[1], 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Quotes a value for sshd_config (double quotes; the paths we write have none). */
function configValue(value: string): string {
  if (/["\n]/.test(value)) throw new Error(`cannot put ${JSON.stringify(value)} into sshd_config`);
  return /[\s#]/.test(value) ? `"${value}"` : value;
}

/** Alive and not a zombie (a zombie holds no port and runs nothing). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function readCmdline(pid: number): Promise<string | undefined> {
  if (!isAlive(pid)) return undefined;
  try {
    return (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ');
  } catch {
    return undefined; // gone
  }
}

/** pid → parent pid for every live process (from /proc/<pid>/stat). */
async function processParents(): Promise<Map<number, number>> {
  const parents = new Map<number, number>();
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await fs.readFile(`/proc/${entry}/stat`, 'utf8');
      // Field 2 (comm) may hold spaces and parentheses: parse after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // Exited while we were looking.
    }
  }
  return parents;
}

function descendantsOf(roots: number[], parents: Map<number, number>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const found: number[] = [];
  const queue = [...roots];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Resolves once `address:port` accepts a connection; `stillStarting` names a failure that makes waiting pointless. */
export async function waitForTcp(
  address: string,
  port: number,
  deadline: number,
  stillStarting: () => string | undefined = () => undefined,
  what = 'sshd',
): Promise<void> {
  for (;;) {
    const connected = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: address, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (connected) return;
    const failure = stillStarting();
    if (failure !== undefined) throw new Error(failure);
    if (Date.now() > deadline) throw new Error(`${what} on ${address}:${port} did not accept connections in time`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export class SshFleet {
  readonly subnet: string;
  readonly port: number;
  readonly username: string;
  readonly baseDir: string;
  readonly privateKeyPath: string;
  private readonly concurrency: number;
  private readonly startTimeoutMs: number;
  private readonly namePrefix: string;
  private readonly extraPath: string[];
  private readonly withBecome: boolean;
  private becomeUsersOf: FleetBecomeUsers | undefined;
  private runtime: HostRuntime[] = [];
  private clientPrivateKey = '';
  private clientPublicKey = '';

  constructor(options: FleetOptions = {}) {
    this.subnet = options.subnet ?? DEFAULT_SUBNET;
    fleetAddresses(this.subnet, 0); // validates the subnet
    this.port = options.port ?? DEFAULT_PORT;
    this.username = options.username ?? DEFAULT_FLEET_USER;
    if (!/^[a-z_][a-z0-9_-]{0,30}$/.test(this.username)) throw new Error(`bad fleet user name "${this.username}"`);
    this.baseDir = path.resolve(options.baseDir ?? defaultFleetDir(this.subnet));
    this.privateKeyPath = path.join(this.baseDir, 'client', 'id_ed25519');
    this.concurrency = options.concurrency ?? 16;
    this.startTimeoutMs = options.startTimeoutMs ?? 120_000;
    this.namePrefix = options.namePrefix ?? 'fleet-';
    this.extraPath = options.extraPath ?? [];
    this.withBecome = options.become ?? false;
    if (this.extraPath.some((dir) => !path.isAbsolute(dir) || dir.includes(':')))
      throw new Error('extraPath entries must be absolute directories without ":"');
  }

  /** Re-attaches to a fleet another process started, from its fleet.json. */
  static load(baseDirOrSubnet: string = DEFAULT_SUBNET): SshFleet {
    const baseDir = baseDirOrSubnet.includes('/') ? path.resolve(baseDirOrSubnet) : defaultFleetDir(baseDirOrSubnet);
    const description = JSON.parse(readFileSync(path.join(baseDir, 'fleet.json'), 'utf8')) as FleetDescription;
    const fleet = new SshFleet({
      subnet: description.subnet,
      port: description.port,
      username: description.username,
      baseDir: description.baseDir,
    });
    fleet.clientPrivateKey = readFileSync(description.privateKeyPath, 'utf8');
    fleet.clientPublicKey = description.publicKey;
    fleet.becomeUsersOf = description.become;
    fleet.runtime = description.hosts.map((h) => ({
      ...h,
      hostDir: path.dirname(h.configPath),
      logFile: path.join(path.dirname(h.configPath), 'sshd.log'),
    }));
    return fleet;
  }

  get hosts(): FleetHost[] {
    return this.runtime.map(({ name, address, port, hostKey, hostKeyFingerprint, stateDir }) => ({
      name,
      address,
      port,
      hostKey,
      hostKeyFingerprint,
      stateDir,
    }));
  }

  /** The fleet's client private key (OpenSSH format). */
  get privateKey(): string {
    return this.clientPrivateKey;
  }

  /** The sudo users (start with `become: true`). */
  get becomeUsers(): FleetBecomeUsers {
    if (!this.becomeUsersOf) throw new Error(`fleet ${this.subnet} was not started with become: true`);
    return this.becomeUsersOf;
  }

  /** The fleet's client public key line. */
  get publicKey(): string {
    return this.clientPublicKey;
  }

  host(name: string): FleetHost {
    const found = this.hosts.find((h) => h.name === name);
    if (!found) throw new Error(`no host ${name} in fleet ${this.subnet}`);
    return found;
  }

  /**
   * Starts `count` sshd processes (detached: they outlive this process until
   * stop()). Processes left over from an earlier run of the same fleet
   * directory are stopped first. Keys already on disk are reused.
   */
  async start(count: number): Promise<FleetDescription> {
    if (!Number.isInteger(count) || count < 1) throw new Error(`host count must be a positive integer, got ${count}`);
    if (process.getuid?.() !== 0) throw new Error('SshFleet must run as root (it starts sshd and creates the fleet user)');
    if (!existsSync(SSHD_PATH)) throw new Error(`${SSHD_PATH} not found: apt-get install openssh-server`);
    await this.stopRecorded();

    const addresses = fleetAddresses(this.subnet, count);
    await this.ensureUser();
    if (this.withBecome) this.becomeUsersOf = await this.ensureBecomeUsers();
    await fs.mkdir(PRIVSEP_DIR, { recursive: true, mode: 0o755 });
    await fs.mkdir(path.join(this.baseDir, 'client'), { recursive: true, mode: 0o755 });
    await fs.mkdir(path.join(this.baseDir, 'hosts'), { recursive: true, mode: 0o755 });
    // The fleet user must traverse the base dir to reach its state dirs.
    await fs.chmod(this.baseDir, 0o755);
    const { uid, gid } = await this.userIds();

    await this.ensureClientKey();
    const authorizedKeys = path.join(this.baseDir, 'authorized_keys');
    await fs.writeFile(authorizedKeys, `${this.clientPublicKey}\n`, { mode: 0o644 });
    const extraDirectives = await this.versionSpecificDirectives();

    const width = Math.max(3, String(count).length);
    const runtime: HostRuntime[] = addresses.map((address, i) => {
      const name = `${this.namePrefix}${String(i + 1).padStart(width, '0')}`;
      const hostDir = path.join(this.baseDir, 'hosts', name);
      return {
        name,
        address,
        port: this.port,
        hostKey: '',
        hostKeyFingerprint: '',
        stateDir: path.join(hostDir, 'state'),
        hostDir,
        configPath: path.join(hostDir, 'sshd_config'),
        pidFile: path.join(hostDir, 'sshd.pid'),
        logFile: path.join(hostDir, 'sshd.log'),
      };
    });
    this.runtime = runtime;

    await mapWithConcurrency(runtime, this.concurrency, async (host) => {
      await fs.mkdir(host.hostDir, { recursive: true, mode: 0o755 });
      const keyPath = path.join(host.hostDir, 'ssh_host_ed25519_key');
      if (!existsSync(keyPath) || !existsSync(`${keyPath}.pub`)) {
        await fs.rm(keyPath, { force: true });
        await fs.rm(`${keyPath}.pub`, { force: true });
        await execFileAsync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', host.name, '-f', keyPath]);
      }
      const [type, base64] = (await fs.readFile(`${keyPath}.pub`, 'utf8')).trim().split(/\s+/);
      host.hostKey = `${type} ${base64}`;
      host.hostKeyFingerprint = fingerprintOf(host.hostKey);
      await this.prepareStateDir(host, uid, gid);
      await fs.writeFile(host.configPath, this.sshdConfig(host, keyPath, authorizedKeys, extraDirectives), { mode: 0o644 });
      await fs.rm(host.pidFile, { force: true });
    });

    // Written before any sshd starts, so that `down` from another process can
    // clean up even after a start that failed halfway.
    await this.writeDescription();
    const deadline = Date.now() + this.startTimeoutMs;
    try {
      await this.spawnAll(deadline);
    } catch (err: unknown) {
      await this.stopRecorded();
      throw err;
    }
    return this.writeDescription();
  }

  private async writeDescription(): Promise<FleetDescription> {
    const description = this.description();
    await fs.writeFile(path.join(this.baseDir, 'fleet.json'), `${JSON.stringify(description, null, 2)}\n`);
    return description;
  }

  private async spawnAll(deadline: number): Promise<void> {
    await mapWithConcurrency(this.runtime, this.concurrency, async (host) => {
      let exited: string | undefined;
      const log = openSync(host.logFile, 'w');
      // ulimit: sshd inherits the limit of whoever starts the fleet; with
      // MaxStartups 500 each listener may need several hundred descriptors.
      const child = spawn(
        '/bin/sh',
        ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', SSHD_PATH, '-D', '-e', '-f', host.configPath],
        { detached: true, stdio: ['ignore', log, log] },
      );
      closeSync(log);
      child.once('error', (err) => (exited = `could not start sshd for ${host.name}: ${err.message}`));
      child.once('exit', (code, signal) => {
        exited = `sshd for ${host.name} (${host.address}) exited with ${code ?? signal} during start: ${readFileSync(host.logFile, 'utf8').trim()}`;
      });
      host.pid = child.pid;
      try {
        await waitForTcp(host.address, host.port, deadline, () => exited);
      } finally {
        child.removeAllListeners('exit');
        child.unref();
      }
    });
  }

  description(): FleetDescription {
    return {
      subnet: this.subnet,
      port: this.port,
      username: this.username,
      baseDir: this.baseDir,
      privateKeyPath: this.privateKeyPath,
      publicKey: this.clientPublicKey,
      startedAt: new Date().toISOString(),
      ...(this.becomeUsersOf ? { become: this.becomeUsersOf } : {}),
      hosts: this.runtime.map((h) => ({
        ...this.publicHost(h),
        configPath: h.configPath,
        pidFile: h.pidFile,
        pid: h.pid,
      })),
    };
  }

  /**
   * Stops this fleet's sshd listeners and everything they spawned (sessions and
   * the commands still running in them). Only processes whose command line
   * names this fleet's config files are signalled, so a reused pid or another
   * sshd is never touched. Idempotent.
   */
  async stop(options: { removeFiles?: boolean } = {}): Promise<void> {
    await this.stopRecorded();
    await fs.rm(this.sudoersFile, { force: true });
    if (options.removeFiles) await fs.rm(this.baseDir, { recursive: true, force: true });
  }

  async status(): Promise<FleetHostStatus[]> {
    return Promise.all(
      this.runtime.map(async (h) => {
        const pid = await this.verifiedPid(h);
        return { name: h.name, address: h.address, pid, running: pid !== undefined };
      }),
    );
  }

  /** The pids of every live process that belongs to this fleet (listeners and their descendants). */
  async processes(): Promise<number[]> {
    const listeners = await this.listenerPids();
    return [...listeners, ...descendantsOf(listeners, await processParents())];
  }

  /** Reads a file of the host's state dir directly (not over SSH), to assert real per-host effects. */
  async readHostFile(host: FleetHost | string, relPath: string): Promise<string> {
    return fs.readFile(this.hostPath(host, relPath), 'utf8');
  }

  async hostFileExists(host: FleetHost | string, relPath: string): Promise<boolean> {
    try {
      await fs.access(this.hostPath(host, relPath));
      return true;
    } catch {
      return false;
    }
  }

  /** Writes a file into the host's state dir, owned by the fleet user so commands can change it. */
  async writeHostFile(host: FleetHost | string, relPath: string, content: string | Buffer): Promise<void> {
    const target = this.hostPath(host, relPath);
    const { uid, gid } = await this.userIds();
    const stateDir = this.runtimeHost(host).stateDir;
    // Create (and hand over) each missing directory between the state dir and the file.
    let dir = stateDir;
    for (const part of path.relative(stateDir, path.dirname(target)).split(path.sep).filter(Boolean)) {
      dir = path.join(dir, part);
      if (!existsSync(dir)) {
        await fs.mkdir(dir);
        await fs.chown(dir, uid, gid);
      }
    }
    await fs.writeFile(target, content);
    await fs.chown(target, uid, gid);
  }

  /** Empties every host's state dir and recreates its empty dpkg database. */
  async reset(): Promise<void> {
    const { uid, gid } = await this.userIds();
    await mapWithConcurrency(this.runtime, this.concurrency, async (host) => {
      await fs.rm(host.stateDir, { recursive: true, force: true });
      await this.prepareStateDir(host, uid, gid);
    });
  }

  private publicHost(h: HostRuntime): FleetHost {
    return {
      name: h.name,
      address: h.address,
      port: h.port,
      hostKey: h.hostKey,
      hostKeyFingerprint: h.hostKeyFingerprint,
      stateDir: h.stateDir,
    };
  }

  private runtimeHost(host: FleetHost | string): HostRuntime {
    const name = typeof host === 'string' ? host : host.name;
    const found = this.runtime.find((h) => h.name === name);
    if (!found) throw new Error(`no host ${name} in fleet ${this.subnet}`);
    return found;
  }

  private hostPath(host: FleetHost | string, relPath: string): string {
    const { stateDir } = this.runtimeHost(host);
    const target = path.resolve(stateDir, relPath);
    if (target !== stateDir && !target.startsWith(stateDir + path.sep)) {
      throw new Error(`${relPath} is outside the state dir of ${typeof host === 'string' ? host : host.name}`);
    }
    return target;
  }

  private sshdConfig(host: HostRuntime, hostKeyPath: string, authorizedKeys: string, extra: string[]): string {
    const env = [
      `VZ_HOST_NAME=${host.name}`,
      `VZ_STATE_DIR=${host.stateDir}`,
      `DPKG_ADMINDIR=${path.join(host.stateDir, 'dpkg')}`,
      ...(this.extraPath.length > 0 ? [`PATH=${[...this.extraPath, '/usr/local/bin', '/usr/bin', '/bin', '/usr/games'].join(':')}`] : []),
    ].map(configValue);
    return [
      `# ${host.name}: generated by test/fleet/fleet.ts, rewritten on every start`,
      `ListenAddress ${host.address}`,
      `Port ${host.port}`,
      'AddressFamily inet',
      `HostKey ${configValue(hostKeyPath)}`,
      `PidFile ${configValue(host.pidFile)}`,
      `AuthorizedKeysFile ${configValue(authorizedKeys)}`,
      `AllowUsers ${[this.username, ...(this.becomeUsersOf ? [this.becomeUsersOf.nopasswd, this.becomeUsersOf.password.username] : [])].join(' ')}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin no',
      'UsePAM no',
      'StrictModes no',
      'UseDNS no',
      'PrintMotd no',
      'PrintLastLog no',
      'X11Forwarding no',
      'AllowTcpForwarding no',
      'AllowAgentForwarding no',
      'PermitTunnel no',
      'MaxStartups 500:30:1000',
      'MaxSessions 50',
      'MaxAuthTries 6',
      'LoginGraceTime 30',
      'LogLevel ERROR',
      `SetEnv ${env.join(' ')}`,
      ...extra,
      '',
    ].join('\n');
  }

  /**
   * OpenSSH 9.8 added PerSourcePenalties, on by default: it would lock the
   * test client (every fleet connection comes from 127.0.0.1) out after the
   * refused and timed-out connections the tests make on purpose.
   */
  private async versionSpecificDirectives(): Promise<string[]> {
    const { stderr } = await execFileAsync(SSHD_PATH, ['-V']).catch((err: { stderr?: string }) => ({
      stderr: err.stderr ?? '',
    }));
    const match = /OpenSSH_(\d+)\.(\d+)/.exec(stderr);
    if (!match) return [];
    const [major, minor] = [Number(match[1]), Number(match[2])];
    return major > 9 || (major === 9 && minor >= 8) ? ['PerSourcePenalties no'] : [];
  }

  private async prepareStateDir(host: HostRuntime, uid: number, gid: number): Promise<void> {
    const dpkg = path.join(host.stateDir, 'dpkg');
    for (const dir of [host.stateDir, dpkg, path.join(dpkg, 'updates'), path.join(dpkg, 'info')]) {
      await fs.mkdir(dir, { recursive: true, mode: 0o755 });
      await fs.chown(dir, uid, gid);
    }
    const status = path.join(dpkg, 'status');
    if (!existsSync(status)) await fs.writeFile(status, '');
    await fs.chown(status, uid, gid);
  }

  private async ensureClientKey(): Promise<void> {
    if (!existsSync(this.privateKeyPath) || !existsSync(`${this.privateKeyPath}.pub`)) {
      await fs.rm(this.privateKeyPath, { force: true });
      await fs.rm(`${this.privateKeyPath}.pub`, { force: true });
      await execFileAsync('ssh-keygen', [
        '-q',
        '-t',
        'ed25519',
        '-N',
        '',
        '-C',
        `vulnzero-fleet-${this.subnet}`,
        '-f',
        this.privateKeyPath,
      ]);
    }
    await fs.chmod(this.privateKeyPath, 0o600);
    this.clientPrivateKey = await fs.readFile(this.privateKeyPath, 'utf8');
    this.clientPublicKey = (await fs.readFile(`${this.privateKeyPath}.pub`, 'utf8')).trim();
  }

  private async ensureUser(): Promise<void> {
    const exists = await execFileAsync('id', ['-u', this.username]).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await execFileAsync('useradd', ['--system', '--create-home', '--shell', '/bin/bash', this.username]).catch(async (err: unknown) => {
        // Two fleets starting at once may race to create the user.
        const raced = await execFileAsync('id', ['-u', this.username]).then(
          () => true,
          () => false,
        );
        if (!raced) throw err;
      });
    }
    // Without PAM, sshd refuses every login of a "locked" account (shadow
    // password starting with "!", which is what useradd gives); "*" means no
    // password login but an unlocked account, so public keys work.
    const { stdout } = await execFileAsync('getent', ['shadow', this.username]);
    if (stdout.split(':')[1]?.startsWith('!')) await execFileAsync('usermod', ['-p', '*', this.username]);
  }

  /** sudoers.d skips file names with a dot: the subnet's dots become dashes. */
  private get sudoersFile(): string {
    return `/etc/sudoers.d/vulnzero-fleet-${this.subnet.replaceAll('.', '-')}`;
  }

  /**
   * The fleet's two sudo users (named after its subnet, so fleets started at
   * once never share one), a fresh random password for the one that needs
   * it (with quotes, a space, `$` and a backslash: it must reach sudo as
   * data), and their sudoers file, checked with `visudo -cf` before it is
   * installed.
   */
  private async ensureBecomeUsers(): Promise<FleetBecomeUsers> {
    const suffix = this.subnet.replaceAll('.', '-');
    const users: FleetBecomeUsers = {
      nopasswd: `vzb-np-${suffix}`,
      password: { username: `vzb-pw-${suffix}`, password: `p 'w" $HOME \ ${randomBytes(12).toString('hex')}` },
    };
    for (const username of [users.nopasswd, users.password.username]) {
      const exists = await execFileAsync('id', ['-u', username]).then(
        () => true,
        () => false,
      );
      if (!exists) await execFileAsync('useradd', ['--system', '--create-home', '--shell', '/bin/bash', username]);
    }
    // Unlocked without a password (sshd without PAM refuses a locked account).
    await execFileAsync('usermod', ['-p', '*', users.nopasswd]);
    await new Promise<void>((resolve, reject) => {
      const child = execFile('chpasswd', (error) => (error ? reject(error) : resolve()));
      child.stdin?.end(`${users.password.username}:${users.password.password}\n`);
    });
    const rules = [
      '# generated by test/fleet/fleet.ts for the become tests; removed by stop()',
      `${users.nopasswd} ALL=(ALL:ALL) NOPASSWD: ALL`,
      `Defaults:${users.password.username} timestamp_timeout=0`,
      `${users.password.username} ALL=(ALL:ALL) ALL`,
      '',
    ].join('\n');
    const draft = path.join(this.baseDir, 'sudoers.draft');
    await fs.mkdir(this.baseDir, { recursive: true, mode: 0o755 });
    await fs.writeFile(draft, rules, { mode: 0o440 });
    await execFileAsync('visudo', ['-cf', draft]);
    await fs.copyFile(draft, this.sudoersFile);
    await fs.rm(draft);
    await fs.chown(this.sudoersFile, 0, 0);
    await fs.chmod(this.sudoersFile, 0o440);
    return users;
  }

  private async userIds(): Promise<{ uid: number; gid: number }> {
    const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
      execFileAsync('id', ['-u', this.username]),
      execFileAsync('id', ['-g', this.username]),
    ]);
    return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
  }

  /** The pid of a host's listener, only if that process really runs this host's config. */
  private async verifiedPid(host: HostRuntime): Promise<number | undefined> {
    const candidates = new Set<number>();
    if (host.pid) candidates.add(host.pid);
    try {
      const fromFile = Number((await fs.readFile(host.pidFile, 'utf8')).trim());
      if (Number.isInteger(fromFile) && fromFile > 0) candidates.add(fromFile);
    } catch {
      // No pid file: never started or already stopped.
    }
    for (const pid of candidates) {
      const cmdline = await readCmdline(pid);
      if (cmdline?.includes(host.configPath)) return pid;
    }
    return undefined;
  }

  private async listenerPids(): Promise<number[]> {
    const hosts = this.runtime.length > 0 ? this.runtime : this.recordedHosts();
    const pids = await Promise.all(hosts.map((h) => this.verifiedPid(h)));
    return pids.filter((p): p is number => p !== undefined);
  }

  /** Hosts of an earlier run of this fleet directory, from its fleet.json or host dirs. */
  private recordedHosts(): HostRuntime[] {
    try {
      const description = JSON.parse(readFileSync(path.join(this.baseDir, 'fleet.json'), 'utf8')) as FleetDescription;
      return description.hosts.map((h) => ({
        ...h,
        hostDir: path.dirname(h.configPath),
        logFile: path.join(path.dirname(h.configPath), 'sshd.log'),
      }));
    } catch {
      return [];
    }
  }

  private async stopRecorded(): Promise<void> {
    const hosts = [...this.runtime, ...this.recordedHosts()];
    const listeners = [...new Set((await Promise.all(hosts.map((h) => this.verifiedPid(h)))).filter((p): p is number => p !== undefined))];
    if (listeners.length === 0) return;
    // Collect sessions (and the commands running in them) before their parent goes.
    const descendants = descendantsOf(listeners, await processParents());
    for (const pid of [...listeners, ...descendants]) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
    const deadline = Date.now() + 5_000;
    let remaining = [...listeners, ...descendants];
    while (remaining.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      remaining = remaining.filter(isAlive);
    }
    for (const pid of remaining) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Exited between the check and the kill.
      }
    }
    await Promise.all(hosts.map((h) => fs.rm(h.pidFile, { force: true })));
    for (const h of this.runtime) h.pid = undefined;
  }
}
