// `npm run bench:debian-fleet` (as root): how long 10 real Debian hosts
// (test/fleet/debian-fleet.ts) take to come up from a cold cache (a fresh,
// empty VZ_FLEET_CACHE: base image and repository built from Debian's mirrors)
// and from a warm one, and the disk they use. Not a timed test: it writes its
// section of BENCHMARKS.md (between the debian-fleet markers; `npm run bench`
// keeps that section) and prints the figures.
// Targets (issue 21): cold < 3 min, warm < 30 s, disk < 4 GB.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { DebianFleet, DebianFleetFacts } from '../test/fleet/debian-fleet';
import { findRepoRoot } from '../test/fleet/fleet';

const execFileAsync = promisify(execFile);
const HOSTS = Number(process.env.VZ_BENCH_DEBIAN_HOSTS ?? 10);
const SUBNET = '127.93';
const TARGETS = { coldSeconds: 180, warmSeconds: 30, diskBytes: 4 * 1024 ** 3 };
export const SECTION_START = '<!-- debian-fleet:start -->';
export const SECTION_END = '<!-- debian-fleet:end -->';

const started = Date.now();
function log(message: string): void {
  process.stdout.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${message}\n`);
}

/** Bytes under `dir` on its own file system (-x: the hosts' overlay mounts are not counted twice). */
async function diskBytes(dir: string): Promise<number> {
  const { stdout } = await execFileAsync('du', ['-sxb', dir]);
  return Number(stdout.split(/\s/)[0]);
}

interface Round {
  prepareSeconds: number;
  startSeconds: number;
  totalSeconds: number;
}

async function bringUp(): Promise<{ round: Round; facts: DebianFleetFacts; fleet: DebianFleet }> {
  const t0 = Date.now();
  const facts = await DebianFleet.prepare({ log });
  const t1 = Date.now();
  const fleet = new DebianFleet({ subnet: SUBNET, concurrency: 4 });
  const hosts = await fleet.start(HOSTS);
  const t2 = Date.now();
  // Up means usable: every host answers as root inside.
  await Promise.all(hosts.map((h) => fleet.rootOk(h, 'dpkg-query -W openssl >/dev/null')));
  return {
    round: {
      prepareSeconds: (t1 - t0) / 1000,
      startSeconds: (t2 - t1) / 1000,
      totalSeconds: (Date.now() - t0) / 1000,
    },
    facts,
    fleet,
  };
}

const gib = (bytes: number): string => `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
const met = (ok: boolean): string => (ok ? 'met' : '**missed**');

export function renderSection(input: {
  at: string;
  cold: Round;
  warm: Round;
  disk: { image: number; perFleet: number; total: number };
  facts: DebianFleetFacts;
}): string {
  const { cold, warm, disk, facts } = input;
  const row = (name: string, r: Round): string =>
    `| ${name} | ${r.prepareSeconds.toFixed(1)} | ${r.startSeconds.toFixed(1)} | **${r.totalSeconds.toFixed(1)}** |`;
  return [
    SECTION_START,
    `## Real Debian hosts: ${HOSTS} up, cold and warm (\`npm run bench:debian-fleet\`, ${input.at})`,
    '',
    `\`test/fleet/debian-fleet.ts\`: ${HOSTS} Debian 12 hosts (overlay of one mmdebstrap base, own mount/PID/UTS`,
    'namespaces, own sshd and nginx), up meaning every host answers `dpkg-query` as root inside and accepts',
    'TCP on :2222 and :80. Cold: an empty `VZ_FLEET_CACHE` (apt-get update, mmdebstrap, repository download,',
    'configuration). Warm: the same cache again (recipe hash found, hosts started).',
    '',
    '| | prepare (s) | start (s) | total (s) |',
    '|---|---|---|---|',
    row('cold cache', cold),
    row('warm cache', warm),
    '',
    '| | value | target |',
    '|---|---|---|',
    `| cold | ${cold.totalSeconds.toFixed(1)} s | < ${TARGETS.coldSeconds} s (${met(cold.totalSeconds < TARGETS.coldSeconds)}) |`,
    `| warm | ${warm.totalSeconds.toFixed(1)} s | < ${TARGETS.warmSeconds} s (${met(warm.totalSeconds < TARGETS.warmSeconds)}) |`,
    `| disk: base image + repository | ${gib(disk.image)} | |`,
    `| disk: ${HOSTS} hosts' upper dirs, keys, repository copy | ${gib(disk.perFleet)} | |`,
    `| disk in all | ${gib(disk.total)} | < 4 GiB (${met(disk.total < TARGETS.diskBytes)}) |`,
    '',
    `Versions found by apt at build time: ${facts.repo.multi.source} ${facts.repo.multi.versions.join(', ')}; ` +
      `${facts.repo.service.binary} ${facts.repo.service.versions.join(', ')}; openssh ${facts.recipe.ssh.version} ` +
      '(the newest that accepts the oldest libssl3).',
    SECTION_END,
  ].join('\n');
}

/** Replaces (or appends) the debian-fleet section of a BENCHMARKS.md text. */
export function withSection(document: string, section: string): string {
  const start = document.indexOf(SECTION_START);
  const end = document.indexOf(SECTION_END);
  if (start >= 0 && end > start) return `${document.slice(0, start)}${section}${document.slice(end + SECTION_END.length)}`;
  return `${document.trimEnd()}\n\n${section}\n`;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root');
  const repoRoot = findRepoRoot(__dirname);
  const coldCache = path.join(path.dirname(process.env.VZ_FLEET_CACHE || '/var/cache/vulnzero/fleet'), `bench-cold-${process.pid}`);
  process.env.VZ_FLEET_CACHE = coldCache;
  log(`cold cache: ${coldCache}`);
  let fleet: DebianFleet | undefined;
  try {
    const cold = await bringUp();
    fleet = cold.fleet;
    log(`cold: ${cold.round.totalSeconds.toFixed(1)} s`);
    const image = await diskBytes(cold.facts.imageDir);
    const perFleet = await diskBytes(fleet.fleetDir);
    const total = await diskBytes(coldCache);
    await fleet.stop();
    const warm = await bringUp();
    fleet = warm.fleet;
    log(`warm: ${warm.round.totalSeconds.toFixed(1)} s`);
    await fleet.stop();
    fleet = undefined;
    const section = renderSection({
      at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      cold: cold.round,
      warm: warm.round,
      disk: { image, perFleet, total },
      facts: cold.facts,
    });
    const file = path.join(repoRoot, 'BENCHMARKS.md');
    const current = existsSync(file) ? await fs.readFile(file, 'utf8') : '# Benchmarks\n';
    await fs.writeFile(file, withSection(current, section));
    process.stdout.write(`${section}\n`);
    log('BENCHMARKS.md updated');
  } finally {
    await fleet?.stop();
    // Never remove through a mount left behind (it could reach another file system).
    if ((await fs.readFile('/proc/self/mountinfo', 'utf8')).includes(coldCache)) log(`mounts left under ${coldCache}: not removed`);
    else await fs.rm(coldCache, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
