// A fleet of REAL Debian 12 hosts on loopback, for tests, the demo and the bench.
//
// One base root file system (mmdebstrap, this machine's apt sources) and a local
// apt repository (several real versions of openssl+libssl3 and nginx) are built
// once into a cache outside the clone. Each host is an overlay of that base in
// its own mount, PID and UTS namespaces, running its own sshd (127.X.0.N:2222)
// and nginx (127.X.0.N:80), on the oldest openssl and nginx, with the repository
// bind-mounted read-only at /srv/vz-repo as its only apt source.
import { spawn } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  allVersions,
  cvesSince,
  FleetRecipe,
  osvAdvisory,
  OsvRecord,
  parseAptRecords,
  parseMadison,
  planRecipe,
  recipeHash,
  REPO_EXTRA_PACKAGES,
  SSH_BINARIES,
  SERVICE_SOURCE,
  MULTI_SOURCE,
  bumpControl,
} from './debian-recipe';
import { fleetAddresses, mapWithConcurrency, waitForTcp } from './fleet';

export const DEFAULT_DEBIAN_SUBNET = '127.92';
export const DEBIAN_SSH_PORT = 2222;
export const DEBIAN_HTTP_PORT = 80;
export const REPO_MOUNT = '/srv/vz-repo';
export const NOPASSWD_USER = 'vzadmin';
export const PASSWORD_USER = 'vzpass';
const HOST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function fleetCacheDir(): string {
  return path.resolve(process.env.VZ_FLEET_CACHE || '/var/cache/vulnzero/fleet');
}

/** What prepare() built or found: the image every host is an overlay of. */
export interface DebianFleetFacts {
  hash: string;
  imageDir: string;
  rootfs: string;
  repoDir: string;
  builtAt: string;
  buildSeconds: number;
  recipe: FleetRecipe;
  /** The password of `vzpass` (sudo with a password). */
  password: string;
  repo: DebianRepoFacts;
  /** CVE ids from the changelogs of the newest versions (since the one before). */
  cves: { multi: string[]; service: string[] };
}

export interface DebianRepoFacts {
  multi: { source: string; binaries: string[]; versions: string[] };
  service: { source: string; binary: string; binaries: string[]; versions: string[] };
}

export interface DebianHost {
  name: string;
  address: string;
  port: number;
  /** `ssh-ed25519 AAAA…` (no comment). */
  hostKey: string;
  hostKeyFingerprint: string;
  /** The host's root file system as seen from outside (the overlay mount). */
  rootDir: string;
}

interface HostRuntime extends DebianHost {
  hostDir: string;
  /** Pid (outside) of the `unshare` process and of the namespace's init (pid 1 inside). */
  unsharePid?: number;
  initPid?: number;
  mode: 'overlay' | 'copy';
}

interface FleetRecord {
  subnet: string;
  fleetDir: string;
  imageDir: string;
  startedAt: string;
  hosts: HostRuntime[];
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface DebianFleetOptions {
  subnet?: string;
  /** Default `<VZ_FLEET_CACHE>/fleets/<subnet>`. */
  fleetDir?: string;
  namePrefix?: string;
  startTimeoutMs?: number;
  /** Parallel host starts. Default 4. */
  concurrency?: number;
  log?: (line: string) => void;
}

async function run(
  file: string,
  args: string[],
  options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    child.once('error', reject);
    child.once('close', (code, signal) =>
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    if (child.stdin) {
      // A command that exits without reading its input must not crash us (EPIPE).
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }
  });
}

async function must(
  file: string,
  args: string[],
  options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const result = await run(file, args, options);
  if (result.code !== 0)
    throw new Error(`${file} ${args.join(' ')} exited ${result.code}: ${(result.stderr || result.stdout).trim().slice(-2000)}`);
  return result.stdout;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function fingerprintOf(openSshLine: string): string {
  const blob = Buffer.from(openSshLine.split(/\s+/)[1], 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function rootOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/root`);
  } catch {
    return undefined;
  }
}

/** Mount points (outside) at or under `dir`, deepest first. */
async function mountsUnder(dir: string): Promise<string[]> {
  const info = await fs.readFile('/proc/self/mountinfo', 'utf8');
  const points = info
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/\\040/g, ' '))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Pids of every process whose root directory is at or under `dir`. */
export async function processesRootedUnder(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const root = rootOf(Number(entry));
    if (root && (root === dir || root.startsWith(`${dir}/`))) pids.push(Number(entry));
  }
  return pids;
}

// ---------------------------------------------------------------- the cache

/** A directory lock (mkdir is atomic) that a dead owner does not keep. */
async function withLock<T>(lockDir: string, task: () => Promise<T>): Promise<T> {
  await fs.mkdir(path.dirname(lockDir), { recursive: true });
  for (;;) {
    try {
      await fs.mkdir(lockDir);
      await fs.writeFile(path.join(lockDir, 'owner'), `${process.pid}\n`);
      break;
    } catch (err: unknown) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(await fs.readFile(path.join(lockDir, 'owner'), 'utf8').catch(() => 'NaN'));
      const age = Date.now() - (await fs.stat(lockDir).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      // A lock without a live owner (killed between mkdir and the owner file: allow 10 s) is stale.
      if ((Number.isInteger(owner) && !isAlive(owner)) || (!Number.isInteger(owner) && age > 10_000)) {
        await fs.rm(lockDir, { recursive: true, force: true });
        continue;
      }
      await sleep(500);
    }
  }
  try {
    return await task();
  } finally {
    await fs.rm(lockDir, { recursive: true, force: true });
  }
}

/** The apt sources of this machine that mmdebstrap should use (Debian's own). */
async function aptSourceFiles(): Promise<string[]> {
  if (process.env.VZ_FLEET_APT_SOURCES) return process.env.VZ_FLEET_APT_SOURCES.split(':').filter(Boolean);
  const files: string[] = [];
  if (existsSync('/etc/apt/sources.list')) files.push('/etc/apt/sources.list');
  const dir = '/etc/apt/sources.list.d';
  if (existsSync(dir))
    for (const entry of (await fs.readdir(dir)).sort()) if (/\.(list|sources)$/.test(entry)) files.push(path.join(dir, entry));
  const debian: string[] = [];
  for (const file of files) {
    const text = await fs.readFile(file, 'utf8');
    const active = text
      .split('\n')
      .filter((l) => !/^\s*#/.test(l))
      .join('\n');
    if (/debian\.org|debian/.test(active) && /\S/.test(active)) debian.push(file);
  }
  if (debian.length === 0) throw new Error('no Debian apt source found in /etc/apt');
  return debian;
}

async function currentRecipe(): Promise<FleetRecipe> {
  const sourceFiles = await aptSourceFiles();
  const sources = (await Promise.all(sourceFiles.map((f) => fs.readFile(f, 'utf8')))).join('\n');
  const names = [...MULTI_SOURCE.binaries, ...SERVICE_SOURCE.binaries];
  const madison = parseMadison(await must('apt-cache', ['madison', ...names]));
  const sshRecords = parseAptRecords((await run('apt-cache', ['show', ...SSH_BINARIES])).stdout);
  return planRecipe({ madison, sshRecords, sources });
}

function repoFacts(recipe: FleetRecipe): DebianRepoFacts {
  return {
    multi: {
      source: recipe.multi.source,
      binaries: recipe.multi.binaries,
      versions: allVersions(recipe.multi.versions),
    },
    service: {
      source: recipe.service.source,
      binary: recipe.service.binaries[0],
      binaries: recipe.service.binaries,
      versions: allVersions(recipe.service.versions),
    },
  };
}

async function readFacts(imageDir: string): Promise<DebianFleetFacts | undefined> {
  try {
    return JSON.parse(await fs.readFile(path.join(imageDir, 'facts.json'), 'utf8')) as DebianFleetFacts;
  } catch {
    return undefined;
  }
}

/** Builds the Packages index of a flat repository (every version of every .deb) and its Release. */
export async function indexRepo(repoDir: string): Promise<void> {
  const packages = await must('apt-ftparchive', ['packages', '.'], { cwd: repoDir });
  const tmp = path.join(repoDir, `.Packages.${process.pid}`);
  await fs.writeFile(tmp, packages);
  await fs.rename(tmp, path.join(repoDir, 'Packages'));
  // Release after Packages: it holds Packages' checksums.
  await fs.rm(path.join(repoDir, 'Release'), { force: true });
  const release = await must('apt-ftparchive', ['-o', 'APT::FTPArchive::Release::Origin=vulnzero-fleet', 'release', '.'], { cwd: repoDir });
  await fs.writeFile(`${tmp}.release`, release);
  await fs.rename(`${tmp}.release`, path.join(repoDir, 'Release'));
}

/** The changelog of a .deb's own doc dir (changelog.Debian.gz), or ''. */
async function debChangelog(deb: string, pkg: string): Promise<string> {
  const result = await run('/bin/sh', [
    '-c',
    'dpkg-deb --fsys-tarfile "$1" | tar -xO "./usr/share/doc/$2/changelog.Debian.gz" | gzip -dc',
    'sh',
    deb,
    pkg,
  ]);
  return result.code === 0 ? result.stdout : '';
}

async function downloadDebs(repoDir: string, specs: string[]): Promise<void> {
  // apt-get download as root writes into a directory _apt cannot: say so, nothing else changes.
  await must('apt-get', ['download', '-q', '-o', 'APT::Sandbox::User=root', ...specs], {
    cwd: repoDir,
  });
}

/** Rebuilds `pkg` at `from` (a .deb in repoDir) as version `to`, every same-source relation moved too. */
async function rebuildBumped(repoDir: string, debs: string[], from: string, to: string): Promise<void> {
  for (const deb of debs) {
    const work = await fs.mkdtemp(path.join(os.tmpdir(), 'vz-bump-'));
    try {
      await must('dpkg-deb', ['-R', deb, path.join(work, 'pkg')]);
      const controlPath = path.join(work, 'pkg', 'DEBIAN', 'control');
      await fs.writeFile(controlPath, bumpControl(await fs.readFile(controlPath, 'utf8'), from, to));
      const pkg = (await must('dpkg-deb', ['-f', deb, 'Package'])).trim();
      const arch = (await must('dpkg-deb', ['-f', deb, 'Architecture'])).trim();
      const file = `${pkg}_${to.replace(/^\d+:/, '').replace(/:/g, '%3a')}_${arch}.deb`;
      await must('dpkg-deb', ['-Zxz', '-b', path.join(work, 'pkg'), path.join(repoDir, file)]);
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
  }
}

/** The .deb files of repoDir holding `pkg` at `version` (read from their control files). */
async function debsOf(repoDir: string, pkg: string, version: string): Promise<string[]> {
  const found: string[] = [];
  for (const file of (await fs.readdir(repoDir)).filter((f) => f.endsWith('.deb'))) {
    const [name, v] = (await must('dpkg-deb', ['-f', path.join(repoDir, file), 'Package', 'Version']))
      .split('\n')
      .map((l) => l.replace(/^[^:]+:\s*/, '').trim());
    if (name === pkg && v === version) found.push(path.join(repoDir, file));
  }
  return found;
}

async function buildImage(recipe: FleetRecipe, hash: string, imageDir: string, log: (line: string) => void): Promise<DebianFleetFacts> {
  const started = Date.now();
  const tmp = `${imageDir}.tmp-${process.pid}`;
  await fs.rm(tmp, { recursive: true, force: true });
  const rootfs = path.join(tmp, 'rootfs');
  const repoDir = path.join(tmp, 'repo');
  await fs.mkdir(repoDir, { recursive: true });
  const facts = repoFacts(recipe);
  const oldest = {
    multi: recipe.multi.versions.real[0],
    service: recipe.service.versions.real[0],
  };
  try {
    // 1. The local repository: every real version, then rebuilt bumps.
    log(
      `fleet: repository (${facts.multi.source} ${facts.multi.versions.join(', ')}; ${facts.service.source} ${facts.service.versions.join(', ')})`,
    );
    const specs = [
      ...recipe.multi.versions.real.flatMap((v) => recipe.multi.binaries.map((b) => `${b}=${v}`)),
      ...recipe.service.versions.real.flatMap((v) => recipe.service.binaries.map((b) => `${b}=${v}`)),
      ...REPO_EXTRA_PACKAGES,
    ];
    const mmdebstrap = (async () => {
      log('fleet: mmdebstrap (Debian 12 base)');
      const include = [
        ...recipe.basePackages,
        ...recipe.multi.binaries.map((b) => `${b}=${oldest.multi}`),
        ...recipe.service.binaries.map((b) => `${b}=${oldest.service}`),
        ...recipe.ssh.binaries.map((b) => `${b}=${recipe.ssh.version}`),
      ];
      await must('mmdebstrap', [
        '--quiet',
        '--variant=minbase',
        `--include=${include.join(',')}`,
        recipe.suite,
        rootfs,
        ...(await aptSourceFiles()),
      ]);
    })();
    await downloadDebs(repoDir, specs);
    for (const [spec, choice] of [
      [recipe.multi, recipe.multi.versions],
      [recipe.service, recipe.service.versions],
    ] as const) {
      const newest = choice.real[choice.real.length - 1];
      const debs = (await Promise.all(spec.binaries.map((b) => debsOf(repoDir, b, newest)))).flat();
      for (const to of choice.bumped) await rebuildBumped(repoDir, debs, newest, to);
    }
    await indexRepo(repoDir);
    await mmdebstrap;

    // 2. The base: only the local repository as apt source, no daemons started by packages, users.
    log('fleet: configuring the base');
    const password = randomBytes(12).toString('base64url');
    await fs.rm(path.join(rootfs, 'etc/apt/sources.list'), { force: true });
    for (const entry of await fs.readdir(path.join(rootfs, 'etc/apt/sources.list.d')))
      await fs.rm(path.join(rootfs, 'etc/apt/sources.list.d', entry), { force: true });
    await fs.writeFile(path.join(rootfs, 'etc/apt/sources.list.d/vz-repo.list'), `deb [trusted=yes] file:${REPO_MOUNT} ./\n`);
    await fs.mkdir(path.join(rootfs, REPO_MOUNT.slice(1)), { recursive: true });
    await fs.writeFile(
      path.join(rootfs, 'usr/sbin/policy-rc.d'),
      '#!/bin/sh\n# test/fleet: maintainer scripts never (re)start services; VulnZero restarts them.\nexit 101\n',
      { mode: 0o755 },
    );
    await fs.writeFile(
      path.join(rootfs, 'etc/sudoers.d/vz-fleet'),
      `${NOPASSWD_USER} ALL=(ALL) NOPASSWD: ALL\n${PASSWORD_USER} ALL=(ALL) ALL\nDefaults:${PASSWORD_USER} timestamp_timeout=0\n`,
      { mode: 0o440 },
    );
    await fs.rm(path.join(rootfs, 'etc/nginx/sites-enabled/default'), { force: true });
    const nginxConf = path.join(rootfs, 'etc/nginx/nginx.conf');
    await fs.writeFile(nginxConf, (await fs.readFile(nginxConf, 'utf8')).replace(/worker_processes\s+auto;/, 'worker_processes 1;'));
    for (const key of await fs.readdir(path.join(rootfs, 'etc/ssh')))
      if (key.startsWith('ssh_host_')) await fs.rm(path.join(rootfs, 'etc/ssh', key));
    await fs.mkdir(path.join(rootfs, 'etc/ssh/authorized_keys'), { recursive: true });
    const script = [
      'set -e',
      `useradd --create-home --shell /bin/bash ${NOPASSWD_USER}`,
      `useradd --create-home --shell /bin/bash ${PASSWORD_USER}`,
      // "*": no password, but not locked (sshd without PAM refuses locked accounts).
      `usermod -p '*' ${NOPASSWD_USER}`,
      `echo "${PASSWORD_USER}:$VZ_PASSWORD" | chpasswd`,
      'apt-get update -qq',
      'apt-get clean',
      'rm -f /var/cache/apt/*.bin',
      'apt-get check -qq',
    ].join('\n');
    // The repository is bind-mounted while apt reads it, so the base's lists know every version.
    await must('mount', ['--bind', repoDir, path.join(rootfs, REPO_MOUNT.slice(1))]);
    try {
      await must('chroot', [rootfs, '/usr/bin/env', '-i', `PATH=${HOST_PATH}`, `VZ_PASSWORD=${password}`, '/bin/sh', '-c', script]);
    } finally {
      await must('umount', [path.join(rootfs, REPO_MOUNT.slice(1))]);
    }
    const leftover = (await fs.readdir(path.join(rootfs, 'var/cache/apt/archives'))).filter((f) => f.endsWith('.deb'));
    if (leftover.length > 0) throw new Error(`base keeps .deb files in /var/cache/apt/archives: ${leftover.join(', ')}`);

    // 3. Advisory facts from the newest packages' changelogs.
    const cvesOf = async (pkg: string, choice: { real: string[] }): Promise<string[]> => {
      const newest = choice.real[choice.real.length - 1];
      const before = choice.real[choice.real.length - 2] ?? choice.real[0];
      const deb = (await debsOf(repoDir, pkg, newest))[0];
      return deb ? cvesSince(await debChangelog(deb, pkg), before) : [];
    };
    const result: DebianFleetFacts = {
      hash,
      imageDir,
      rootfs: path.join(imageDir, 'rootfs'),
      repoDir: path.join(imageDir, 'repo'),
      builtAt: new Date().toISOString(),
      buildSeconds: Math.round((Date.now() - started) / 100) / 10,
      recipe,
      password,
      repo: facts,
      cves: {
        multi: await cvesOf('openssl', recipe.multi.versions),
        service: await cvesOf('nginx-common', recipe.service.versions),
      },
    };
    await fs.writeFile(path.join(tmp, 'facts.json'), `${JSON.stringify(result, null, 2)}\n`, {
      mode: 0o600,
    });
    await fs.rename(tmp, imageDir);
    log(`fleet: base ${hash} built in ${result.buildSeconds} s`);
    return result;
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
}

/** Removes images of other recipes that no mounted overlay uses. */
async function pruneImages(imagesDir: string, keep: string): Promise<void> {
  const mountinfo = await fs.readFile('/proc/self/mountinfo', 'utf8');
  for (const entry of await fs.readdir(imagesDir)) {
    const dir = path.join(imagesDir, entry);
    if (dir === keep || mountinfo.includes(dir)) continue;
    if (entry.includes('.tmp-')) {
      const owner = Number(entry.split('.tmp-')[1]);
      if (isAlive(owner)) continue;
    }
    await fs.rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- the fleet

export class DebianFleet {
  readonly subnet: string;
  readonly fleetDir: string;
  readonly privateKeyPath: string;
  readonly repoDir: string;
  private readonly namePrefix: string;
  private readonly startTimeoutMs: number;
  private readonly concurrency: number;
  private readonly log: (line: string) => void;
  private runtime: HostRuntime[] = [];
  private facts?: DebianFleetFacts;
  private clientPrivateKey = '';
  private clientPublicKey = '';

  constructor(options: DebianFleetOptions = {}) {
    this.subnet = options.subnet ?? DEFAULT_DEBIAN_SUBNET;
    fleetAddresses(this.subnet, 0);
    this.fleetDir = path.resolve(options.fleetDir ?? path.join(fleetCacheDir(), 'fleets', this.subnet));
    this.privateKeyPath = path.join(this.fleetDir, 'client', 'id_ed25519');
    this.repoDir = path.join(this.fleetDir, 'repo');
    this.namePrefix = options.namePrefix ?? 'deb-';
    this.startTimeoutMs = options.startTimeoutMs ?? 60_000;
    this.concurrency = options.concurrency ?? 4;
    this.log = options.log ?? (() => undefined);
  }

  /**
   * Builds (or finds) the cached base image and repository for the versions apt
   * knows now. Safe to call from several processes at once (one builds, the
   * others wait and reuse).
   */
  static async prepare(options: { log?: (line: string) => void } = {}): Promise<DebianFleetFacts> {
    if (process.getuid?.() !== 0) throw new Error('DebianFleet must run as root');
    const log = options.log ?? (() => undefined);
    const cache = fleetCacheDir();
    const imagesDir = path.join(cache, 'images');
    await fs.mkdir(imagesDir, { recursive: true, mode: 0o700 });
    return withLock(path.join(cache, 'build.lock'), async () => {
      let recipe = await currentRecipe().catch(() => undefined);
      if (recipe) {
        const found = await readFacts(path.join(imagesDir, recipeHash(recipe)));
        if (found) return found;
      }
      log('fleet: no cached base for this recipe: apt-get update');
      await must('apt-get', ['update', '-qq']);
      recipe = await currentRecipe();
      const hash = recipeHash(recipe);
      const imageDir = path.join(imagesDir, hash);
      const found = await readFacts(imageDir);
      if (found) return found;
      const facts = await buildImage(recipe, hash, imageDir, log);
      await pruneImages(imagesDir, imageDir);
      return facts;
    });
  }

  /** Re-attaches to a fleet another process started (the CLI), from its fleet.json. */
  static async load(subnet: string = DEFAULT_DEBIAN_SUBNET): Promise<DebianFleet> {
    const fleet = new DebianFleet({ subnet });
    const record = fleet.readRecord();
    if (!record) throw new Error(`no Debian fleet recorded for ${subnet}`);
    fleet.runtime = record.hosts;
    fleet.facts = await readFacts(record.imageDir);
    await fleet.loadClientKey();
    return fleet;
  }

  get hosts(): DebianHost[] {
    return this.runtime.map(({ name, address, port, hostKey, hostKeyFingerprint, rootDir }) => ({
      name,
      address,
      port,
      hostKey,
      hostKeyFingerprint,
      rootDir,
    }));
  }

  get privateKey(): string {
    return this.clientPrivateKey;
  }

  get publicKey(): string {
    return this.clientPublicKey;
  }

  get users(): {
    nopasswd: { username: string };
    password: { username: string; password: string };
  } {
    return {
      nopasswd: { username: NOPASSWD_USER },
      password: { username: PASSWORD_USER, password: this.requireFacts().password },
    };
  }

  get repo(): DebianRepoFacts {
    return this.requireFacts().repo;
  }

  /** OSV records (Debian:12) for the repository's sources, fixed in their newest versions. */
  osvAdvisories(): OsvRecord[] {
    const facts = this.requireFacts();
    const newest = (v: string[]): string => v[v.length - 1];
    return [
      osvAdvisory({
        id: 'DSA-9901-1',
        source: facts.repo.multi.source,
        fixed: newest(facts.repo.multi.versions),
        cves: facts.cves.multi,
        published: facts.builtAt,
      }),
      osvAdvisory({
        id: 'DSA-9902-1',
        source: facts.repo.service.source,
        fixed: newest(facts.repo.service.versions),
        cves: facts.cves.service,
        published: facts.builtAt,
      }),
    ];
  }

  host(name: string): DebianHost {
    const found = this.hosts.find((h) => h.name === name);
    if (!found) throw new Error(`no host ${name} in Debian fleet ${this.subnet}`);
    return found;
  }

  /**
   * Starts `count` hosts, each a fresh overlay of the base (so hosts start
   * identical), on the oldest versions. Whatever ran on this subnet before is
   * stopped first. Hosts outlive this process until stop().
   */
  async start(count: number): Promise<DebianHost[]> {
    if (!Number.isInteger(count) || count < 1) throw new Error(`host count must be a positive integer, got ${count}`);
    this.facts = await DebianFleet.prepare({ log: this.log });
    await this.stop();
    const facts = this.facts;
    const addresses = fleetAddresses(this.subnet, count);
    await fs.mkdir(path.join(this.fleetDir, 'hosts'), { recursive: true, mode: 0o700 });
    await this.ensureClientKey();
    // The fleet's own copy of the repository: removeFromRepo() changes it, never the cache.
    await fs.rm(this.repoDir, { recursive: true, force: true });
    await must('cp', ['-a', facts.repoDir, this.repoDir]);

    const width = Math.max(3, String(count).length);
    this.runtime = addresses.map((address, i) => {
      const name = `${this.namePrefix}${String(i + 1).padStart(width, '0')}`;
      const hostDir = path.join(this.fleetDir, 'hosts', name);
      return {
        name,
        address,
        port: DEBIAN_SSH_PORT,
        hostKey: '',
        hostKeyFingerprint: '',
        rootDir: path.join(hostDir, 'root'),
        hostDir,
        mode: 'overlay',
      };
    });
    await this.writeRecord(facts.imageDir);
    // For other processes (the demo imports it into the gateway).
    await fs.writeFile(path.join(this.fleetDir, 'osv.json'), `${JSON.stringify(this.osvAdvisories(), null, 2)}\n`);
    const deadline = Date.now() + this.startTimeoutMs;
    try {
      await mapWithConcurrency(this.runtime, this.concurrency, (host) => this.startHost(host, facts));
      await this.writeRecord(facts.imageDir);
      await Promise.all(
        this.runtime.flatMap((h) => [
          waitForTcp(h.address, DEBIAN_SSH_PORT, deadline, undefined, `sshd of ${h.name}`),
          waitForTcp(h.address, DEBIAN_HTTP_PORT, deadline, undefined, `nginx of ${h.name}`),
        ]),
      );
    } catch (err) {
      await this.stop();
      throw err;
    }
    return this.hosts;
  }

  private async startHost(host: HostRuntime, facts: DebianFleetFacts): Promise<void> {
    const upper = path.join(host.hostDir, 'upper');
    const work = path.join(host.hostDir, 'work');
    for (const dir of [upper, work, host.rootDir]) await fs.rm(dir, { recursive: true, force: true });
    for (const dir of [upper, work, host.rootDir]) await fs.mkdir(dir, { recursive: true });
    const overlay = await run('mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${facts.rootfs},upperdir=${upper},workdir=${work}`,
      host.rootDir,
    ]);
    if (overlay.code !== 0) {
      this.log(`fleet: overlay failed for ${host.name} (${overlay.stderr.trim()}): copying the base`);
      host.mode = 'copy';
      await fs.rm(host.rootDir, { recursive: true, force: true });
      await must('cp', ['-a', facts.rootfs, host.rootDir]);
    }
    await this.configureHost(host);
    await this.spawnHost(host);
  }

  private async configureHost(host: HostRuntime): Promise<void> {
    const root = host.rootDir;
    const keyDir = path.join(host.hostDir, 'keys');
    const keyPath = path.join(keyDir, 'ssh_host_ed25519_key');
    // Host keys are kept across runs (outside the overlay), so known fingerprints stay valid.
    if (!existsSync(keyPath) || !existsSync(`${keyPath}.pub`)) {
      await fs.mkdir(keyDir, { recursive: true, mode: 0o700 });
      await fs.rm(keyPath, { force: true });
      await fs.rm(`${keyPath}.pub`, { force: true });
      await must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', host.name, '-f', keyPath]);
    }
    const pub = (await fs.readFile(`${keyPath}.pub`, 'utf8')).trim().split(/\s+/);
    host.hostKey = `${pub[0]} ${pub[1]}`;
    host.hostKeyFingerprint = fingerprintOf(host.hostKey);
    await fs.copyFile(keyPath, path.join(root, 'etc/ssh/ssh_host_ed25519_key'));
    await fs.chmod(path.join(root, 'etc/ssh/ssh_host_ed25519_key'), 0o600);
    await fs.writeFile(path.join(root, 'etc/ssh/ssh_host_ed25519_key.pub'), `${host.hostKey} ${host.name}\n`);
    for (const user of [NOPASSWD_USER, PASSWORD_USER])
      await fs.writeFile(path.join(root, 'etc/ssh/authorized_keys', user), `${this.clientPublicKey}\n`, { mode: 0o644 });
    await fs.writeFile(
      path.join(root, 'etc/ssh/sshd_config'),
      [
        `# ${host.name}: written by test/fleet/debian-fleet.ts on every start`,
        `ListenAddress ${host.address}:${DEBIAN_SSH_PORT}`,
        'HostKey /etc/ssh/ssh_host_ed25519_key',
        'PidFile /run/sshd.pid',
        'AuthorizedKeysFile /etc/ssh/authorized_keys/%u',
        `AllowUsers ${NOPASSWD_USER} ${PASSWORD_USER}`,
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin no',
        'UsePAM no',
        'UseDNS no',
        'PrintMotd no',
        'PrintLastLog no',
        'X11Forwarding no',
        'MaxStartups 200:30:400',
        'MaxSessions 50',
        'LoginGraceTime 30',
        'LogLevel ERROR',
        'AcceptEnv LANG LC_*',
        'Subsystem sftp /usr/lib/openssh/sftp-server',
        '',
      ].join('\n'),
    );
    await fs.writeFile(
      path.join(root, 'etc/nginx/conf.d/vz-host.conf'),
      [
        `# ${host.name}: written by test/fleet/debian-fleet.ts on every start`,
        'server {',
        `    listen ${host.address}:${DEBIAN_HTTP_PORT};`,
        `    server_name ${host.name};`,
        '    location = /health { default_type text/plain; return 200 "ok\\n"; }',
        `    location / { default_type text/plain; return 200 "${host.name}\\n"; }`,
        '}',
        '',
      ].join('\n'),
    );
    await fs.writeFile(path.join(root, 'etc/hostname'), `${host.name}\n`);
    await fs.writeFile(path.join(root, 'etc/hosts'), `127.0.0.1 localhost\n${host.address} ${host.name}\n`);
  }

  private async spawnHost(host: HostRuntime): Promise<void> {
    // Runs as pid 1 of the new PID namespace: mounts (private to the namespace,
    // gone with it), starts sshd and nginx inside the root, then becomes a
    // reaper (perl from the host's own root) so daemons' orphans never linger as zombies.
    const inner = [
      'set -e',
      'R=$1; NAME=$2; REPO=$3',
      'hostname "$NAME"',
      'mount --rbind /dev "$R/dev"',
      'mount -t proc proc "$R/proc"',
      'mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$R/run"',
      'mkdir -p "$R/run/sshd" "$R/run/lock"',
      `mount --bind "$REPO" "$R${REPO_MOUNT}"`,
      `mount -o remount,bind,ro "$R${REPO_MOUNT}"`,
      `chroot "$R" /usr/bin/env -i PATH=${HOST_PATH} /usr/sbin/sshd`,
      `chroot "$R" /usr/bin/env -i PATH=${HOST_PATH} /etc/init.d/nginx start >/dev/null`,
      'echo ready',
      `exec chroot "$R" /usr/bin/env -i PATH=${HOST_PATH} /usr/bin/perl -e '$SIG{TERM} = sub { exit 0 }; while (1) { sleep 1 if wait() == -1 }' vz-fleet-init "$NAME"`,
    ].join('\n');
    const logFile = path.join(host.hostDir, 'init.log');
    const log = openSync(logFile, 'w');
    const child = spawn(
      'unshare',
      [
        '--mount',
        '--pid',
        '--uts',
        '--fork',
        '--mount-proc',
        '--propagation',
        'private',
        '/bin/sh',
        '-c',
        inner,
        'vz-fleet-host',
        host.rootDir,
        host.name,
        this.repoDir,
      ],
      { detached: true, stdio: ['ignore', log, log] },
    );
    closeSync(log);
    host.unsharePid = child.pid;
    let exited: string | undefined;
    child.once('exit', (code, signal) => {
      exited = `host ${host.name} exited with ${code ?? signal} while starting: ${readFileSync(logFile, 'utf8').trim()}`;
    });
    try {
      const deadline = Date.now() + this.startTimeoutMs;
      for (;;) {
        if (exited) throw new Error(exited);
        const text = readFileSync(logFile, 'utf8');
        if (text.includes('ready')) {
          host.initPid = await this.findInit(host);
          if (host.initPid) break;
        }
        if (Date.now() > deadline) throw new Error(`host ${host.name} did not start in time: ${text}`);
        await sleep(20);
      }
    } finally {
      child.removeAllListeners('exit');
      child.unref();
    }
  }

  /** Which hosts run (their namespace's init is alive with the host's root). */
  status(): { name: string; address: string; initPid?: number; running: boolean }[] {
    return this.runtime.map((h) => {
      const initPid = this.verifiedInit(h);
      return { name: h.name, address: h.address, initPid, running: initPid !== undefined };
    });
  }

  /** The namespace's pid 1 (seen from outside): the child of unshare whose root is the host's. */
  private async findInit(host: HostRuntime): Promise<number | undefined> {
    if (!host.unsharePid) return undefined;
    try {
      const children = (await fs.readFile(`/proc/${host.unsharePid}/task/${host.unsharePid}/children`, 'utf8'))
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number);
      return children.find((pid) => rootOf(pid) === host.rootDir);
    } catch {
      return undefined;
    }
  }

  /**
   * Runs `command` (sh -c) as root inside the host: its mount, PID and UTS
   * namespaces and root directory, with a clean environment.
   */
  async root(host: DebianHost | string, command: string, options: { input?: string } = {}): Promise<CommandResult> {
    const runtime = this.runtimeHost(host);
    const initPid = this.verifiedInit(runtime);
    if (!initPid) throw new Error(`host ${runtime.name} is not running`);
    return run(
      'nsenter',
      [
        '--target',
        String(initPid),
        '--mount',
        '--pid',
        '--uts',
        '--root',
        '--wd=/',
        '/usr/bin/env',
        '-i',
        `PATH=${HOST_PATH}`,
        'HOME=/root',
        'LANG=C.UTF-8',
        'DEBIAN_FRONTEND=noninteractive',
        '/bin/sh',
        '-c',
        command,
      ],
      { input: options.input },
    );
  }

  /** root(), failing on a non-zero exit; returns stdout. */
  async rootOk(host: DebianHost | string, command: string): Promise<string> {
    const result = await this.root(host, command);
    if (result.code !== 0)
      throw new Error(`${command} on ${typeof host === 'string' ? host : host.name} exited ${result.code}: ${result.stderr.trim()}`);
    return result.stdout;
  }

  /**
   * Deletes every binary of `source` at `version` from this fleet's repository
   * and regenerates its index (hosts see it after updateLists()). Returns the
   * deleted file names; throws when none matched.
   */
  async removeFromRepo(source: string, version: string): Promise<string[]> {
    const index = await fs.readFile(path.join(this.repoDir, 'Packages'), 'utf8');
    const doomed: string[] = [];
    for (const paragraph of index.split(/\n\s*\n/)) {
      const field = (name: string): string | undefined => new RegExp(`^${name}: (.*)$`, 'm').exec(paragraph)?.[1].trim();
      const pkg = field('Package');
      const filename = field('Filename');
      if (!pkg || !filename) continue;
      const sourceField = field('Source') ?? pkg;
      const srcName = sourceField.split(/\s/)[0];
      const srcVersion = /\(([^)]+)\)/.exec(sourceField)?.[1] ?? field('Version');
      if (srcName === source && srcVersion === version) doomed.push(path.basename(filename));
    }
    if (doomed.length === 0) throw new Error(`no binary of ${source} ${version} in ${this.repoDir}`);
    for (const file of doomed) await fs.rm(path.join(this.repoDir, file));
    await indexRepo(this.repoDir);
    return doomed;
  }

  /** `apt-get update` inside every running host. */
  async updateLists(): Promise<void> {
    await mapWithConcurrency(this.runtime, this.concurrency, (h) => this.rootOk(h, 'apt-get update -qq'));
  }

  /**
   * Stops every host (kills each namespace's init: the kernel then kills
   * everything in it) and unmounts the overlays. Idempotent; also cleans up
   * what an earlier run on this subnet left (from fleet.json).
   */
  async stop(): Promise<void> {
    const recorded = this.readRecord()?.hosts ?? [];
    const hosts = [...this.runtime, ...recorded.filter((r) => !this.runtime.some((h) => h.name === r.name))];
    const hostsDir = path.join(this.fleetDir, 'hosts');
    // Every process rooted in one of our host roots, whatever its origin (e.g. a nsenter'd command).
    const targets = new Set<number>();
    for (const h of hosts) {
      const init = this.verifiedInit(h);
      if (init) targets.add(init);
    }
    for (const pid of await processesRootedUnder(hostsDir)) targets.add(pid);
    for (const pid of targets) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const left = (await processesRootedUnder(hostsDir)).filter(isAlive);
      const unshares = hosts.map((h) => h.unsharePid).filter((p): p is number => !!p && isAlive(p) && this.isOurUnshare(p));
      if (left.length === 0 && unshares.length === 0) break;
      for (const pid of [...left, ...unshares]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
      await sleep(50);
    }
    for (const point of await mountsUnder(hostsDir)) {
      const result = await run('umount', [point]);
      if (result.code !== 0) await run('umount', ['-l', point]);
    }
    for (const h of this.runtime) {
      h.initPid = undefined;
      h.unsharePid = undefined;
    }
    if (this.readRecord()) await this.writeRecord(this.readRecord()?.imageDir ?? '', []);
  }

  private isOurUnshare(pid: number): boolean {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(path.join(this.fleetDir, 'hosts'));
    } catch {
      return false;
    }
  }

  /** The host's init pid, only if that process still has the host's root. */
  private verifiedInit(host: HostRuntime): number | undefined {
    if (!host.initPid || !isAlive(host.initPid)) return undefined;
    return rootOf(host.initPid) === host.rootDir ? host.initPid : undefined;
  }

  private runtimeHost(host: DebianHost | string): HostRuntime {
    const name = typeof host === 'string' ? host : host.name;
    const found = this.runtime.find((h) => h.name === name);
    if (!found) throw new Error(`no host ${name} in Debian fleet ${this.subnet}`);
    return found;
  }

  private requireFacts(): DebianFleetFacts {
    if (!this.facts) throw new Error('Debian fleet not started (call start() or DebianFleet.load())');
    return this.facts;
  }

  private readRecord(): FleetRecord | undefined {
    try {
      return JSON.parse(readFileSync(path.join(this.fleetDir, 'fleet.json'), 'utf8')) as FleetRecord;
    } catch {
      return undefined;
    }
  }

  private async writeRecord(imageDir: string, hosts: HostRuntime[] = this.runtime): Promise<void> {
    await fs.mkdir(this.fleetDir, { recursive: true, mode: 0o700 });
    const record: FleetRecord = {
      subnet: this.subnet,
      fleetDir: this.fleetDir,
      imageDir,
      startedAt: new Date().toISOString(),
      hosts,
    };
    const tmp = path.join(this.fleetDir, `.fleet.json.${process.pid}`);
    await fs.writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`);
    await fs.rename(tmp, path.join(this.fleetDir, 'fleet.json'));
  }

  private async ensureClientKey(): Promise<void> {
    if (!existsSync(this.privateKeyPath) || !existsSync(`${this.privateKeyPath}.pub`)) {
      await fs.mkdir(path.dirname(this.privateKeyPath), { recursive: true, mode: 0o700 });
      await fs.rm(this.privateKeyPath, { force: true });
      await fs.rm(`${this.privateKeyPath}.pub`, { force: true });
      await must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `vulnzero-debian-fleet-${this.subnet}`, '-f', this.privateKeyPath]);
    }
    await this.loadClientKey();
  }

  private async loadClientKey(): Promise<void> {
    await fs.chmod(this.privateKeyPath, 0o600);
    this.clientPrivateKey = await fs.readFile(this.privateKeyPath, 'utf8');
    this.clientPublicKey = (await fs.readFile(`${this.privateKeyPath}.pub`, 'utf8')).trim();
  }
}
