// The one rollout every tool performs (issue 12): canary cumulative steps
// 1, 10%, 50%, 100%; 50 hosts in parallel; on each host save the old version
// file, write the new one, sleep 0.2 s, check a health file. Each tool runs it
// from the same fleet state and the same state is checked afterwards.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { FleetHost, mapWithConcurrency } from '../test/fleet/fleet';

const execFileAsync = promisify(execFile);

export const CANARY_STEPS: (number | string)[] = [1, '10%', '50%', '100%'];
export const MAX_PARALLEL = 50;
export const SLEEP_SECONDS = 0.2;
export const OLD_VERSION = '1.0';
export const NEW_VERSION = '2.0';

const VERSION = '"$VZ_STATE_DIR/app/version"';
const SAVED = '"$VZ_STATE_DIR/app/version.prev"';
const HEALTH = '"$VZ_STATE_DIR/app/health"';

/** The four operations, as shell commands run on the host (its sshd sets VZ_STATE_DIR). */
export const OPERATIONS = {
  save: `cp ${VERSION} ${SAVED}`,
  write: `printf %s ${NEW_VERSION} > ${VERSION}`,
  sleep: `sleep ${SLEEP_SECONDS}`,
  health: `test "$(cat ${HEALTH})" = ok`,
} as const;

/** All four in one command line: what a hand-written `xargs -P … ssh` script sends. */
export const ONE_LINE = [OPERATIONS.save, OPERATIONS.write, OPERATIONS.sleep, OPERATIONS.health].join(' && ');

/** Cumulative canary sizes (a count or a percentage, rounded up, at least 1), as the SPEC defines them. */
export function cumulativeSizes(total: number, steps: (number | string)[] = CANARY_STEPS): number[] {
  const sizes = steps.map((step) => {
    const size = typeof step === 'number' ? step : Math.ceil((Number(step.replace('%', '')) * total) / 100);
    return Math.min(total, Math.max(1, size));
  });
  return sizes.filter((size, i) => i === 0 || size > (sizes[i - 1] as number));
}

/** The hosts each step adds. */
export function canaryBatches<T>(items: readonly T[]): T[][] {
  let done = 0;
  return cumulativeSizes(items.length).map((size) => {
    const batch = items.slice(done, size);
    done = size;
    return batch;
  });
}

/** Waves of at most MAX_PARALLEL hosts over the whole rollout; the floor is waves × the sleep. */
export function waveCount(total: number): number {
  return canaryBatches(Array.from({ length: total }, (_, i) => i)).reduce((sum, batch) => sum + Math.ceil(batch.length / MAX_PARALLEL), 0);
}

export function floorSeconds(total: number): number {
  return waveCount(total) * SLEEP_SECONDS;
}

interface Owner {
  uid: number;
  gid: number;
}

async function fleetOwner(username: string): Promise<Owner> {
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
    execFileAsync('id', ['-u', username]),
    execFileAsync('id', ['-g', username]),
  ]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

/** Every host back to version 1.0, healthy, nothing saved: the state each round starts from. */
export async function resetFleetState(hosts: readonly FleetHost[], username: string): Promise<void> {
  const owner = await fleetOwner(username);
  await mapWithConcurrency(hosts, 32, async (host) => {
    const appDir = path.join(host.stateDir, 'app');
    await fs.mkdir(appDir, { recursive: true });
    await fs.chown(appDir, owner.uid, owner.gid);
    await fs.rm(path.join(appDir, 'version.prev'), { force: true });
    for (const [file, content] of [
      ['version', OLD_VERSION],
      ['health', 'ok'],
    ] as const) {
      const target = path.join(appDir, file);
      await fs.writeFile(target, content);
      await fs.chown(target, owner.uid, owner.gid);
    }
  });
}

/** Throws unless every host has the new version and the old one saved: a tool that skipped work does not get a time. */
export async function assertRolledOut(hosts: readonly FleetHost[], tool: string): Promise<void> {
  const wrong: string[] = [];
  await mapWithConcurrency(hosts, 32, async (host) => {
    const appDir = path.join(host.stateDir, 'app');
    const [version, saved] = await Promise.all([
      fs.readFile(path.join(appDir, 'version'), 'utf8').catch(() => '(missing)'),
      fs.readFile(path.join(appDir, 'version.prev'), 'utf8').catch(() => '(missing)'),
    ]);
    if (version !== NEW_VERSION || saved !== OLD_VERSION) wrong.push(`${host.name}: version=${version} saved=${saved}`);
  });
  if (wrong.length > 0) throw new Error(`${tool} left ${wrong.length} host(s) not rolled out, e.g. ${wrong.slice(0, 3).join('; ')}`);
}

/** `[address]:port key` lines for OpenSSH and Ansible: host keys are verified, as VulnZero pins them. */
export async function writeKnownHosts(hosts: readonly FleetHost[], file: string): Promise<void> {
  await fs.writeFile(file, hosts.map((h) => `[${h.address}]:${h.port} ${h.hostKey}`).join('\n') + '\n', { mode: 0o600 });
}
