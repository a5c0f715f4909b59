// Exact CPU per side of a measurement, from cgroup v1 `cpuacct` groups: a
// process's CPU counts in its group whether it is alive, reaped by its parent or
// orphaned and reaped late by init, which per-process counters cannot tell
// (they are whole clock ticks, so a session's shell of a few ms reads 0 while
// alive, and an orphan's CPU shows up only when init gets round to it).
// Children inherit their parent's group, so the fleet's listeners carry every
// session, shell and command of the hosts. Where cpuacct is not mounted on its
// own (with `cpu` on the same hierarchy, new groups would change how the CPU is
// shared out, and so the timings) or a move is refused, the bench goes on
// without it, and a side whose processes could not all be moved is not reported.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';

const CPUACCT = '/sys/fs/cgroup/cpuacct';

export type CpuGroupName = 'fleet hosts' | 'worker' | 'gateway' | 'postgres' | 'redis' | 'bench and its ssh, xargs, ansible';

/** The live processes whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
    } catch {
      // Gone between readdir and read.
    }
  }
  return children;
}

/** The cpuacct group a process is in now, as a directory. */
function cpuacctGroupOf(pid: number): string {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .split('\n')
    .find((l) => l.split(':')[1]?.split(',').includes('cpuacct'));
  return path.join(CPUACCT, line?.split(':')[2] ?? '/');
}

/** The pids of the bench's own PostgreSQL (postmaster and its processes) and Redis server. */
async function servicePids(databaseUrl: string, redisUrl: string): Promise<{ postgres: number[]; redis: number[] }> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  let backend: number;
  try {
    backend = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid ?? NaN;
  } finally {
    await client.end();
  }
  const stat = readFileSync(`/proc/${backend}/stat`, 'utf8');
  const postmaster = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const info = await redis.info('server');
    const redisPid = Number(/^process_id:(\d+)/m.exec(info)?.[1]);
    return { postgres: [postmaster, ...childrenOf(postmaster)], redis: Number.isInteger(redisPid) ? [redisPid] : [] };
  } finally {
    redis.disconnect();
  }
}

export class CpuGroups {
  /** Groups holding at least one process moved in; only those are reported. */
  private readonly populated = new Set<string>();
  /** Where each moved process came from, to put it back. */
  private readonly origins = new Map<number, string>();

  private constructor(
    private readonly root: string,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * One group per side under `cpuacct/vz-bench-<pid>`, holding the bench
   * itself and its PostgreSQL and Redis; undefined (and a log line saying
   * why) where the groups cannot measure without disturbing.
   */
  static async create(services: { databaseUrl: string; redisUrl: string }, log: (line: string) => void): Promise<CpuGroups | undefined> {
    if (!existsSync(path.join(CPUACCT, 'cpuacct.usage'))) {
      log('exact CPU per side not measured: no cgroup v1 cpuacct hierarchy');
      return undefined;
    }
    if (existsSync(path.join(CPUACCT, 'cpu.shares'))) {
      log('exact CPU per side not measured: cpuacct shares its hierarchy with cpu, so new groups would change the CPU shares');
      return undefined;
    }
    const root = path.join(CPUACCT, `vz-bench-${process.pid}`);
    try {
      mkdirSync(root, { recursive: true });
    } catch (error) {
      log(`exact CPU per side not measured: ${(error as Error).message}`);
      return undefined;
    }
    const groups = new CpuGroups(root, log);
    if (!groups.add('bench and its ssh, xargs, ansible', process.pid)) {
      groups.remove();
      return undefined;
    }
    const pids = await servicePids(services.databaseUrl, services.redisUrl).catch((error: Error) => {
      log(`PostgreSQL and Redis not in the CPU groups: ${error.message}`);
      return { postgres: [], redis: [] };
    });
    for (const pid of pids.postgres) groups.add('postgres', pid);
    for (const pid of pids.redis) groups.add('redis', pid);
    return groups;
  }

  /** Moves a process (and the children it forks from now on) into a group; false if it could not. */
  add(name: CpuGroupName, pid: number | undefined): boolean {
    if (pid === undefined) return false;
    const dir = path.join(this.root, name);
    try {
      const origin = cpuacctGroupOf(pid);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'cgroup.procs'), `${pid}\n`);
      if (!this.origins.has(pid)) this.origins.set(pid, origin);
      this.populated.add(name);
      return true;
    } catch (error) {
      this.log(`pid ${pid} not moved into the "${name}" CPU group: ${(error as Error).message}`);
      return false;
    }
  }

  /** True when every named group has processes in it, so that their sums are whole. */
  holds(...names: CpuGroupName[]): boolean {
    return names.every((name) => this.populated.has(name));
  }

  /** CPU seconds of each populated group so far. */
  usage(): Map<string, number> {
    const usage = new Map<string, number>();
    for (const name of this.populated) {
      try {
        usage.set(name, Number(readFileSync(path.join(this.root, name, 'cpuacct.usage'), 'utf8')) / 1e9);
      } catch {
        // Removed meanwhile: not reported.
      }
    }
    return usage;
  }

  /** CPU seconds each group used between two readings. */
  static delta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
    return new Map([...after].map(([name, seconds]) => [name, seconds - (before.get(name) ?? 0)]));
  }

  /** `fleet hosts 20.1 s, worker 4.7 s, …`, the biggest first. */
  static describe(used: Map<string, number>): string {
    return [...used]
      .filter(([, seconds]) => seconds >= 0.05)
      .sort((a, b) => b[1] - a[1])
      .map(([name, seconds]) => `${name} ${seconds.toFixed(2)} s`)
      .join(', ');
  }

  /** Puts every process still in a group back where it came from (the root group if unknown) and removes the groups. */
  remove(): void {
    let left = 0;
    const dirs = existsSync(this.root) ? readdirSync(this.root, { withFileTypes: true }).filter((d) => d.isDirectory()) : [];
    for (const dir of dirs.map((d) => path.join(this.root, d.name))) {
      let pids: number[] = [];
      try {
        pids = readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
      } catch {
        // Gone.
      }
      for (const pid of pids) {
        try {
          writeFileSync(path.join(this.origins.get(pid) ?? CPUACCT, 'cgroup.procs'), `${pid}\n`);
        } catch (error) {
          // A process that exited meanwhile (ESRCH) is no longer anywhere.
          if ((error as NodeJS.ErrnoException).code !== 'ESRCH') left += 1;
        }
      }
      try {
        rmdirSync(dir);
      } catch {
        left += 1;
      }
    }
    try {
      rmdirSync(this.root);
    } catch {
      left += 1;
    }
    if (left > 0) this.log(`CPU groups under ${this.root}: ${left} process(es) or group(s) could not be put back or removed`);
  }
}
