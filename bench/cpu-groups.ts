// Exact CPU per side of a measurement, from cgroup v1 `cpuacct` groups: a
// process's CPU counts in its group whether it is alive, reaped by its parent or
// orphaned and reaped late by init, which per-process counters cannot tell
// (they are whole clock ticks, so a session's shell of a few ms reads 0 while
// alive, and an orphan's CPU shows up only when init gets round to it).
// Children inherit their parent's group, so the fleet's listeners carry every
// session, shell and command of the hosts. Where cpuacct is not mounted or
// writable, the bench goes on without it.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

const CPUACCT = '/sys/fs/cgroup/cpuacct';

export type CpuGroupName = 'fleet hosts' | 'worker' | 'gateway' | 'postgres' | 'redis' | 'bench and its ssh, xargs, ansible';

/** pids of live processes with this command name. */
function pidsOf(comm: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

export class CpuGroups {
  private constructor(private readonly root: string) {}

  /** One group per side under `cpuacct/vz-bench-<pid>`, or undefined where cgroups cannot be used. */
  static create(): CpuGroups | undefined {
    const root = path.join(CPUACCT, `vz-bench-${process.pid}`);
    try {
      if (!existsSync(path.join(CPUACCT, 'cpuacct.usage'))) return undefined;
      mkdirSync(root, { recursive: true });
      const groups = new CpuGroups(root);
      groups.add('bench and its ssh, xargs, ansible', process.pid);
      for (const pid of pidsOf('postgres')) groups.add('postgres', pid);
      for (const pid of pidsOf('redis-server')) groups.add('redis', pid);
      return groups;
    } catch {
      return undefined;
    }
  }

  /** Moves a process (and the children it forks from now on) into a group. */
  add(name: CpuGroupName, pid: number | undefined): void {
    if (pid === undefined) return;
    const dir = path.join(this.root, name);
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'cgroup.procs'), `${pid}\n`);
    } catch {
      // Gone, or not movable: its CPU stays in the machine's total only.
    }
  }

  /** CPU seconds of each group so far. */
  usage(): Map<string, number> {
    const usage = new Map<string, number>();
    for (const name of readdirSync(this.root, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      try {
        usage.set(name.name, Number(readFileSync(path.join(this.root, name.name, 'cpuacct.usage'), 'utf8')) / 1e9);
      } catch {
        // removed
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

  /** Puts what is left back into the root group and removes the groups. */
  remove(): void {
    for (const name of readdirSync(this.root, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      const dir = path.join(this.root, name.name);
      try {
        for (const pid of readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
          writeFileSync(path.join(CPUACCT, 'cgroup.procs'), `${pid}\n`);
        }
        rmdirSync(dir);
      } catch {
        // Busy or gone.
      }
    }
    try {
      rmdirSync(this.root);
    } catch {
      // Busy.
    }
  }
}
