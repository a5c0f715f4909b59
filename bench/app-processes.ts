// The gateway and worker as real processes from dist/, with their logs in
// files (a load test logs hundreds of thousands of lines), optional node
// flags (--cpu-prof), and what /proc says about their memory and CPU.
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { freePort, waitFor } from '../test/harness/app-process';
import { appEnv } from '../test/harness/test-env';
import { BenchServices, REPO_ROOT, WORK_DIR } from './bench-env';

export interface BenchProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  logFile: string;
  stop: () => Promise<void>;
}

const CLOCK_TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

export function benchAppEnv(services: BenchServices, overrides: Record<string, string> = {}): Record<string, string> {
  return appEnv({
    DATABASE_URL: services.databaseUrl,
    REDIS_URL: services.redisUrl,
    // The load bench sends far more than a minute's default budget from one caller;
    // the limiter still runs (and costs its Redis round trip), it just never refuses.
    RATE_LIMIT_PER_MINUTE: '1000000',
    ...overrides,
  });
}

function spawnNode(script: string, args: string[], nodeArgs: string[], env: Record<string, string>, logName: string) {
  const logFile = path.join(WORK_DIR, logName);
  const log = openSync(logFile, 'w');
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], { env, stdio: ['ignore', log, log] });
  closeSync(log);
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  return { child, logFile, stop };
}

function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-3000);
  } catch {
    return '';
  }
}

export async function startGatewayProcess(
  env: Record<string, string>,
  logName = 'gateway.log',
  nodeArgs: string[] = [],
): Promise<BenchProcess> {
  const port = String(await freePort());
  const script = path.join(REPO_ROOT, 'dist', 'apps', 'gateway', 'src', 'main.js');
  const proc = spawnNode(script, [], nodeArgs, { ...env, PORT: port, HOST: '127.0.0.1' }, logName);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (proc.child.exitCode !== null) throw new Error('gateway exited');
      return (await fetch(`${url}/health/live`)).ok;
    },
    30_000,
    'gateway /health/live',
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${logTail(proc.logFile)}`);
  });
  return { ...proc, pid: proc.child.pid as number, url };
}

export async function startWorkerProcess(
  env: Record<string, string>,
  options: { nodeArgs?: string[]; logName?: string } = {},
): Promise<BenchProcess> {
  const script = path.join(REPO_ROOT, 'dist', 'apps', 'worker', 'src', 'main.js');
  const proc = spawnNode(script, [], options.nodeArgs ?? [], env, options.logName ?? 'worker.log');
  await waitFor(
    () => {
      if (proc.child.exitCode !== null) throw new Error('worker exited');
      return logTail(proc.logFile).includes('worker ready');
    },
    30_000,
    'worker ready',
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${logTail(proc.logFile)}`);
  });
  return { ...proc, pid: proc.child.pid as number, url: '' };
}

/** The bare NestJS app of bench/bare-app.ts: one route returning a constant. */
export async function startBareApp(): Promise<BenchProcess> {
  const port = String(await freePort());
  const script = path.join(REPO_ROOT, 'dist', 'bench', 'bare-app.js');
  const proc = spawnNode(script, [port], [], { PATH: process.env.PATH ?? '/usr/bin:/bin' }, 'bare-app.log');
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (proc.child.exitCode !== null) throw new Error('bare app exited');
      return (await fetch(`${url}/`)).ok;
    },
    20_000,
    'bare app',
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${logTail(proc.logFile)}`);
  });
  return { ...proc, pid: proc.child.pid as number, url };
}

/** `VmRSS` and `VmHWM` (peak RSS since start) of a process, in MiB. */
export function memoryOf(pid: number): { rssMiB: number; hwmMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, hwmMiB: kib('VmHWM') / 1024 };
}

/** User + system CPU seconds a process has used so far. */
export function cpuSecondsOf(pid: number | 'self'): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the command: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/**
 * CPU seconds of this process's reaped children (xargs, ssh, ansible and what
 * they waited for): the client-side cost of the shell-based tools.
 */
export function childrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS_PER_SECOND;
}

/** The machine's CPU time so far, by kind (/proc/stat; nice counts as user), in seconds. */
export function machineCpuKinds(): { user: number; system: number; irq: number; softirq: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  const s = (ticks: number) => ticks / CLOCK_TICKS_PER_SECOND;
  return { user: s(user + nice), system: s(system), irq: s(irq), softirq: s(softirq) };
}

/** CPU seconds (own + reaped children) of every live process, by pid, with its command name and start time (pids are reused). */
export type ProcessCpu = Map<number, { comm: string; seconds: number; started: number }>;

export function processCpu(): ProcessCpu {
  const all: ProcessCpu = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (entry === '2') continue;
      // Init counts only for the orphans it reaped (a shell whose sshd went first);
      // kernel threads (children of kthreadd) go by their name without the number.
      const own = entry === '1' ? 0 : Number(fields[11]) + Number(fields[12]);
      const ticks = own + Number(fields[13]) + Number(fields[14]);
      const name = entry === '1' ? 'orphans reaped by init' : fields[1] === '2' ? `kernel ${comm.replace(/[0-9:/]+.*$/, '')}` : comm;
      all.set(Number(entry), { comm: name, seconds: ticks / CLOCK_TICKS_PER_SECOND, started: Number(fields[19]) });
    } catch {
      // Gone between readdir and read.
    }
  }
  return all;
}

/**
 * Where a measurement's machine CPU went, by command name: a process's own
 * CPU and that of the children it reaped (so a fleet sshd carries the shells
 * and commands of its sessions). Processes born during the window count whole;
 * `labels` names some pids (worker, gateway, the bench itself).
 */
export function cpuSplit(
  before: ProcessCpu,
  labels: ReadonlyMap<number, string> = new Map(),
  after: ProcessCpu = processCpu(),
): Record<string, number> {
  const split: Record<string, number> = {};
  for (const [pid, now] of after) {
    const then = before.get(pid);
    // The same process (pid and start time; its name changes when it execs), or a new one counted whole.
    const delta = now.seconds - (then && then.started === now.started ? then.seconds : 0);
    const label = labels.get(pid) ?? now.comm;
    if (delta > 0) split[label] = (split[label] ?? 0) + delta;
  }
  return split;
}

/** `sshd 4.1 s, postgres 0.9 s, …`: the biggest first, the small ones left out. */
export function describeCpuSplit(split: Record<string, number>): string {
  return Object.entries(split)
    .filter(([, seconds]) => seconds >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([comm, seconds]) => `${comm} ${seconds.toFixed(2)} s`)
    .join(', ');
}

/** Samples a process's VmRSS while a measurement runs. */
export class RssSampler {
  private peak = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly pid: number) {}

  start(intervalMs = 50): this {
    const sample = () => {
      try {
        this.peak = Math.max(this.peak, memoryOf(this.pid).rssMiB);
      } catch {
        // The process is gone: the last sample stands.
      }
    };
    sample();
    this.timer = setInterval(sample, intervalMs);
    return this;
  }

  /** The highest VmRSS seen and the kernel's VmHWM at the end. */
  stop(): { peakRssMiB: number; hwmMiB: number } {
    if (this.timer) clearInterval(this.timer);
    let hwmMiB = NaN;
    try {
      const now = memoryOf(this.pid);
      this.peak = Math.max(this.peak, now.rssMiB);
      hwmMiB = now.hwmMiB;
    } catch {
      // gone
    }
    return { peakRssMiB: this.peak, hwmMiB };
  }
}
