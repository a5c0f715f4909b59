// `npm run bench` (as root): issue 12's benchmark, unattended.
//   1. the same canary rollout on a 200-host sshd fleet by parallel OpenSSH
//      (defaults, then curve25519-sha256), Ansible (raw, shell) and VulnZero,
//      three rounds each, the fleet reset between rounds;
//   2. one more VulnZero deployment with the worker under `node --cpu-prof`;
//   3. gateway load with wrk against a bare NestJS route in the same run;
//   4. one deployment over 50, 200 and 1,000 hosts: wall time and worker RSS.
// Writes BENCHMARKS.md and prints the medians and ratios.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { FleetHost, SshFleet } from '../test/fleet/fleet';
import { prepareAnsible, runAnsibleRollout } from './ansible-rollout';
import {
  benchAppEnv,
  childrenCpuSeconds,
  cpuSecondsOf,
  cpuSplit,
  describeCpuSplit,
  processCpu,
  machineCpuKinds,
  memoryOf,
  RssSampler,
  startBareApp,
  startGatewayProcess,
  startWorkerProcess,
} from './app-processes';
import { CpuGroupName, CpuGroups } from './cpu-groups';
import { benchServices, BenchServices, ensureAptCommand, ensureWorkDir, freshState, REPO_ROOT, WORK_DIR } from './bench-env';
import { BenchResults, LoadRow, median, renderBenchmarks, renderSummary, ScaleRow, ToolKey, ToolRounds } from './benchmarks-report';
import { summarizeCpuProfile } from './cpu-profile';
import { SECTION_END, SECTION_START, withSection } from './debian-fleet-bench';
import { measureLoad } from './gateway-load';
import { bareHandshakes, OpenSshOptions, runOpenSshRollout } from './openssh-rollout';
import { assertRolledOut, floorSeconds, resetFleetState, waveCount, writeKnownHosts } from './rollout';
import { breakdownOf, DeploymentTiming, VulnZeroBench } from './vulnzero-rollout';

const execFileAsync = promisify(execFile);

const HOSTS = 200;
/** Rounds per tool; fewer only for a quick smoke run of the script itself. */
const ROUNDS = Number(process.env.VZ_BENCH_ROUNDS ?? 3);
/** Rounds per size of the scale part (VulnZero and the peer each). */
const SCALE_ROUNDS = Number(process.env.VZ_BENCH_SCALE_ROUNDS ?? 3);
/** VZ_BENCH_PARTS=rollout,profile re-runs some parts only; a partial run writes .vulnzero/bench/BENCHMARKS.partial.md. */
const ALL_PARTS = ['rollout', 'profile', 'load', 'scale'] as const;
const PARTS = new Set((process.env.VZ_BENCH_PARTS ?? ALL_PARTS.join(',')).split(','));
const PARTIAL =
  ALL_PARTS.some((part) => !PARTS.has(part)) ||
  process.env.VZ_BENCH_TOOLS !== undefined ||
  process.env.VZ_BENCH_ROUNDS !== undefined ||
  process.env.VZ_BENCH_SCALE_HOSTS !== undefined;
/** Pause before each timed rollout, so that every tool starts on a machine at rest. */
const SETTLE_MS = 3_000;
/** CPU is read this long after a measured run ends, once its sessions' processes are gone (the same for every tool). */
const CPU_SETTLE_MS = 1_000;
const MAIN_SUBNET = '127.70';
const SCALE_SUBNET = '127.71';
const TUNED_KEX = 'curve25519-sha256';
/** Below this much available memory the 1,000-sshd fleet is not started (≈3.5 GB of listeners plus their sessions). */
const SCALE_MIN_AVAILABLE_GIB = 8;

const benchStarted = process.hrtime.bigint();
function log(message: string): void {
  const elapsed = Number(process.hrtime.bigint() - benchStarted) / 1e9;
  process.stdout.write(`[bench ${elapsed.toFixed(0).padStart(4)}s] ${message}\n`);
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

class Cleanup {
  private readonly steps = new Map<string, () => Promise<unknown>>();
  add(name: string, step: () => Promise<unknown>): void {
    this.steps.set(name, step);
  }
  remove(name: string): void {
    this.steps.delete(name);
  }
  async run(): Promise<void> {
    for (const [name, step] of [...this.steps.entries()].reverse()) {
      await step().catch((error: unknown) => log(`cleanup ${name}: ${errorText(error)}`));
    }
    this.steps.clear();
  }
}

async function commandVersion(command: string, args: string[]): Promise<string> {
  const { stdout, stderr } = await execFileAsync(command, args).catch((error: { stdout?: string; stderr?: string }) => ({
    stdout: error.stdout ?? '',
    stderr: error.stderr ?? '',
  }));
  return `${stdout}\n${stderr}`.trim().split('\n')[0]?.trim() ?? '?';
}

const loadAtStart = os.loadavg();

async function machine(services: BenchServices): Promise<Record<string, string>> {
  const client = new Client({ connectionString: services.databaseUrl });
  await client.connect();
  const pg = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?';
  await client.end();
  return {
    CPUs: `${os.availableParallelism()} × ${os.cpus()[0]?.model ?? '?'}`,
    RAM: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: `${os.type()} ${os.release()}`,
    Node: process.version,
    OpenSSH: await commandVersion('ssh', ['-V']),
    Ansible: await commandVersion('ansible', ['--version']),
    wrk: (await commandVersion('wrk', ['-v'])).split(' [')[0] ?? '?',
    PostgreSQL: pg,
    'load average (1, 5, 15 min)': `${loadAtStart.map((l) => l.toFixed(1)).join(' ')} at the start, ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at the end`,
  };
}

function availableMemoryGiB(): number {
  const info = readFileSync('/proc/meminfo', 'utf8');
  return Number(/^MemAvailable:\s+(\d+) kB/m.exec(info)?.[1] ?? 0) / 2 ** 20;
}

function openFilesLimit(): number {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const soft = /^Max open files\s+(\S+)/m.exec(limits)?.[1] ?? '0';
  return soft === 'unlimited' ? Infinity : Number(soft);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error('npm run bench must run as root: it starts sshd fleets and may apt-get install ansible and wrk');
  const startedAt = new Date();
  const cleanup = new Cleanup();
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      log(`${signal}: stopping fleets and processes`);
      void cleanup.run().finally(() => process.exit(130));
    });
  }

  try {
    await ensureWorkDir();
    await ensureAptCommand('ansible-playbook', 'ansible');
    await ensureAptCommand('wrk', 'wrk');
    const services = await benchServices();
    await freshState(services);
    log(`database ${new URL(services.databaseUrl).pathname.slice(1)} migrated, Redis ${services.redisUrl.replace(/^.*\//, 'db ')} emptied`);
    const groups = await CpuGroups.create(services, log);
    // First in, so last out: after the fleets and processes have stopped.
    if (groups) cleanup.add('cpu groups', () => Promise.resolve(groups.remove()));

    const fleet = new SshFleet({ subnet: MAIN_SUBNET, concurrency: 32 });
    cleanup.add('fleet', () => fleet.stop());
    await fleet.start(HOSTS);
    for (const host of await fleet.status()) groups?.add('fleet hosts', host.pid);
    const hosts = fleet.hosts;
    log(`${HOSTS} sshd up on ${MAIN_SUBNET}.0.x`);
    const knownHosts = path.join(WORK_DIR, `known_hosts-${MAIN_SUBNET}`);
    await writeKnownHosts(hosts, knownHosts);
    const ssh: OpenSshOptions = { privateKeyPath: fleet.privateKeyPath, knownHostsFile: knownHosts, username: fleet.username };
    const ansible = await prepareAnsible(path.join(WORK_DIR, 'ansible'), hosts, { ...ssh });

    const env = benchAppEnv(services, { JWT_EXPIRES_IN_SECONDS: '7200' });
    const gateway = await startGatewayProcess(env);
    cleanup.add('gateway', () => gateway.stop());
    groups?.add('gateway', gateway.pid);
    let worker = await startWorkerProcess(env);
    cleanup.add('worker', () => worker.stop());
    groups?.add('worker', worker.pid);
    const restartWorker = async (options: { nodeArgs?: string[]; logName?: string } = {}) => {
      await worker.stop();
      worker = await startWorkerProcess(env, options);
      groups?.add('worker', worker.pid);
    };
    /** A round's exact CPU (cgroups) on the hosts' side and on the side driving the rollout. */
    const sidesOf = (tool: 'vulnzero' | 'peer', byGroup: Map<string, number>): { hosts: number; driver: number } | undefined => {
      // The bench process counts on the peer's side: it waits on xargs or ansible-playbook, at next to no CPU.
      const driver: CpuGroupName[] =
        tool === 'vulnzero' ? ['worker', 'gateway', 'postgres', 'redis'] : ['bench and its ssh, xargs, ansible'];
      if (!groups?.holds('fleet hosts', ...driver)) return undefined;
      return { hosts: byGroup.get('fleet hosts') ?? 0, driver: driver.reduce((sum, name) => sum + (byGroup.get(name) ?? 0), 0) };
    };
    /** A tool's measured rounds: seconds, and CPU per round. */
    type Measured = Pick<ToolRounds, 'rounds' | 'machineCpu' | 'hostsCpu' | 'driverCpu'>;
    const measured = (): Measured => ({ rounds: [], machineCpu: [], hostsCpu: [], driverCpu: [] });
    const record = (into: Measured, tool: 'vulnzero' | 'peer', seconds: number, machineCpu: number, byGroup: Map<string, number>) => {
      into.rounds.push(seconds);
      into.machineCpu.push(machineCpu);
      const sides = sidesOf(tool, byGroup);
      if (sides) {
        into.hostsCpu.push(sides.hosts);
        into.driverCpu.push(sides.driver);
      }
    };
    // Names for the CPU split of a measurement (the others go by command name).
    const benchLabels = () =>
      new Map([
        [worker.pid, 'worker'],
        [gateway.pid, 'gateway'],
        [process.pid, 'bench (+ its children)'],
      ]);
    /** Runs a measurement; then, once its sessions' processes are gone, the machine's CPU over it and where it went. */
    const withCpu = async <T>(
      run: () => Promise<T>,
    ): Promise<{ value: T; machineCpu: number; split: string; byGroup: Map<string, number> }> => {
      const processes = processCpu();
      const groupsBefore = groups?.usage();
      const kindsBefore = machineCpuKinds();
      const value = await run();
      await new Promise((resolve) => setTimeout(resolve, CPU_SETTLE_MS));
      const kindsAfter = machineCpuKinds();
      const byGroup = groups && groupsBefore ? CpuGroups.delta(groupsBefore, groups.usage()) : new Map<string, number>();
      const kinds = Object.fromEntries(
        Object.entries(kindsAfter).map(([kind, seconds]) => [kind, seconds - kindsBefore[kind as keyof typeof kindsBefore]]),
      );
      const machineCpu = Object.values(kinds).reduce((sum, seconds) => sum + seconds, 0);
      const split = cpuSplit(processes, benchLabels());
      // What no process shows yet: a process's counters are whole clock ticks, so a
      // session's shell and sshd (a few ms each) read 0 while alive; their CPU shows
      // up in a parent's count only once reaped, and sessions ending at the round's
      // end are reaped after this reading (orphans by init, lazily). Plus interrupts.
      const unattributed = machineCpu - Object.values(split).reduce((sum, seconds) => sum + seconds, 0);
      const byKind = Object.entries(kinds)
        .filter(([, seconds]) => seconds >= 0.05)
        .map(([kind, seconds]) => `${kind} ${seconds.toFixed(1)}`)
        .join(', ');
      return {
        value,
        machineCpu,
        split: `${byKind}; ${describeCpuSplit(split)}${unattributed >= 0.05 ? `, not yet reaped (or interrupts) ${unattributed.toFixed(2)} s` : ''}${byGroup.size > 0 ? `; by cgroup (exact): ${CpuGroups.describe(byGroup)}` : ''}`,
        byGroup,
      };
    };
    const vz = await VulnZeroBench.setUp(gateway.url, fleet);
    const hostIds = await vz.registerHosts(hosts, 'f200');
    log(`gateway ${gateway.url} and worker up; ${hostIds.length} hosts registered with pinned keys`);

    // Warm-up, not measured: JIT, connection pools, page cache of ssh and python. A fresh
    // worker gets one too, so that its first measured deployment does not pay for compiling.
    const warmUp = async (fleetHosts: FleetHost[], ids: string[]) => {
      await resetFleetState(fleetHosts.slice(0, 10), fleet.username);
      await vz.deploy(ids.slice(0, 10));
    };
    await warmUp(hosts, hostIds);
    const handshakes = {
      defaultSeconds: await bareHandshakes(hosts, ssh).catch(() => undefined),
      tunedSeconds: await bareHandshakes(hosts, { ...ssh, kex: TUNED_KEX }).catch(() => undefined),
    };
    log(`bare handshakes: default ${handshakes.defaultSeconds?.toFixed(2)} s, ${TUNED_KEX} ${handshakes.tunedSeconds?.toFixed(2)} s`);

    // 1. The rollout, three rounds, tools taking turns.
    const tools: Record<ToolKey, ToolRounds> = {
      opensshDefault: {
        label: 'OpenSSH, defaults',
        how: '`xargs -P 50 ssh`',
        rounds: [],
        clientCpu: [],
        machineCpu: [],
        hostsCpu: [],
        driverCpu: [],
        errors: [],
      },
      opensshTuned: {
        label: 'OpenSSH, tuned',
        how: `\`xargs -P 50 ssh -o KexAlgorithms=${TUNED_KEX}\``,
        rounds: [],
        clientCpu: [],
        machineCpu: [],
        hostsCpu: [],
        driverCpu: [],
        errors: [],
      },
      ansibleRaw: {
        label: 'Ansible, raw',
        how: '4 `raw` tasks, forks 50, pipelining, ControlPersist',
        rounds: [],
        clientCpu: [],
        machineCpu: [],
        hostsCpu: [],
        driverCpu: [],
        errors: [],
      },
      ansibleShell: {
        label: 'Ansible, shell',
        how: '4 `shell` tasks, forks 50, pipelining, ControlPersist',
        rounds: [],
        clientCpu: [],
        machineCpu: [],
        hostsCpu: [],
        driverCpu: [],
        errors: [],
      },
      vulnzero: {
        label: 'VulnZero',
        how: 'HTTP API: POST /deployments → task terminal (SSE)',
        rounds: [],
        clientCpu: [],
        machineCpu: [],
        hostsCpu: [],
        driverCpu: [],
        errors: [],
      },
    };
    const vzTimings: DeploymentTiming[] = [];
    let vzPeakRss = 0;
    const childCpu = async (run: () => Promise<number>) => {
      const before = childrenCpuSeconds();
      const seconds = await run();
      return { seconds, cpu: childrenCpuSeconds() - before };
    };
    const runners: Record<ToolKey, () => Promise<{ seconds: number; cpu: number }>> = {
      opensshDefault: () => childCpu(() => runOpenSshRollout(hosts, ssh)),
      opensshTuned: () => childCpu(() => runOpenSshRollout(hosts, { ...ssh, kex: TUNED_KEX })),
      ansibleRaw: () => childCpu(() => runAnsibleRollout(ansible, 'raw')),
      ansibleShell: () => childCpu(() => runAnsibleRollout(ansible, 'shell')),
      vulnzero: async () => {
        const cpuBefore = cpuSecondsOf(worker.pid) + cpuSecondsOf(gateway.pid);
        const sampler = new RssSampler(worker.pid).start();
        const timing = await vz.deploy(hostIds);
        vzPeakRss = Math.max(vzPeakRss, sampler.stop().peakRssMiB);
        if (timing.task.status !== 'succeeded') {
          const failed = timing.deployment.hosts.filter((h) => h.error).slice(0, 3);
          throw new Error(
            `deployment ${timing.deployment.status}: ${timing.task.error?.message ?? ''} ${failed.map((h) => `${h.hostName}: ${h.error}`).join('; ')}`,
          );
        }
        vzTimings.push(timing);
        return { seconds: timing.seconds, cpu: cpuSecondsOf(worker.pid) + cpuSecondsOf(gateway.pid) - cpuBefore };
      },
    };
    const allTools: ToolKey[] = ['opensshDefault', 'opensshTuned', 'ansibleRaw', 'ansibleShell', 'vulnzero'];
    // VZ_BENCH_TOOLS=vulnzero,opensshTuned re-measures some tools only (the others print n/a).
    const order = allTools.filter((key) => (process.env.VZ_BENCH_TOOLS ?? allTools.join(',')).split(',').includes(key));
    for (let round = 0; round < (PARTS.has('rollout') ? ROUNDS : 0); round++) {
      // Each round starts with another tool, so that no tool always follows the same one.
      const turn = [...order.slice(round), ...order.slice(0, round)];
      for (const key of turn) {
        if (interrupted) return;
        await resetFleetState(hosts, fleet.username);
        // The previous tool's teardown (Ansible's 200 ControlPersist masters and their
        // sshd sessions exit after `ssh -O exit` returns) is not charged to the next one.
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
        try {
          const {
            value: { seconds, cpu },
            machineCpu,
            split,
            byGroup,
          } = await withCpu(runners[key]);
          await assertRolledOut(hosts, tools[key].label);
          record(tools[key], key === 'vulnzero' ? 'vulnzero' : 'peer', seconds, machineCpu, byGroup);
          tools[key].clientCpu.push(cpu);
          log(
            `round ${round + 1}: ${tools[key].label.padEnd(18)} ${seconds.toFixed(2)} s (client CPU ${cpu.toFixed(1)} s, machine CPU ${machineCpu.toFixed(1)} s: ${split})`,
          );
        } catch (error) {
          tools[key].errors.push(errorText(error));
          log(`round ${round + 1}: ${tools[key].label} FAILED: ${errorText(error).slice(0, 400)}`);
        }
      }
    }
    const medianTiming = [...vzTimings].sort((a, b) => a.seconds - b.seconds)[Math.floor(vzTimings.length / 2)];

    // 2. One more deployment with the worker profiled.
    let profile: BenchResults['profile'];
    let profileError: string | undefined;
    if (PARTS.has('profile'))
      try {
        const profileDir = path.join(WORK_DIR, 'profile');
        await fs.rm(profileDir, { recursive: true, force: true });
        await fs.mkdir(profileDir, { recursive: true });
        await restartWorker({ nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`], logName: 'worker-profile.log' });
        await warmUp(hosts, hostIds);
        await resetFleetState(hosts, fleet.username);
        const timing = await vz.deploy(hostIds);
        await worker.stop(); // the profile is written as the process exits
        const file = (await fs.readdir(profileDir)).find((f) => f.endsWith('.cpuprofile'));
        if (!file) throw new Error(`no .cpuprofile in ${profileDir}`);
        const full = path.join(profileDir, file);
        profile = {
          ...summarizeCpuProfile(full, timing.windowUs[0], timing.windowUs[1]),
          deploySeconds: timing.seconds,
          file: path.relative(REPO_ROOT, full),
        };
        log(`profiled deployment ${timing.seconds.toFixed(2)} s; worker busy ${(profile.busyMs / 1000).toFixed(2)} s`);
      } catch (error) {
        profileError = errorText(error);
        log(`profile FAILED: ${profileError}`);
      }
    await restartWorker();

    // 3. Gateway load, each route right after the bare baseline.
    const load: LoadRow[] = [];
    const loadDir = path.join(WORK_DIR, 'load');
    await fs.mkdir(loadDir, { recursive: true });
    const bare = await startBareApp();
    cleanup.add('bare app', () => bare.stop());
    let paused: { deploymentId: string; taskId: string } | undefined;
    if (PARTS.has('load'))
      try {
        const replayKey = `bench-replay-${Date.now()}`;
        await resetFleetState(hosts.slice(0, 1), fleet.username);
        const first = await vz.deploy(hostIds.slice(0, 1), { idempotencyKey: replayKey });
        const auth = { authorization: `Bearer ${vz.token}` };
        const replayBody = JSON.stringify(vz.deploymentBody(hostIds.slice(0, 1)));
        const replay = await vz.api.post('/deployments', JSON.parse(replayBody), { 'idempotency-key': replayKey });
        if (replay.status !== 202 || replay.body.deploymentId !== first.deployment.id) {
          throw new Error(`a replayed Idempotency-Key did not return the same deployment: ${replay.status} ${JSON.stringify(replay.body)}`);
        }
        await resetFleetState(hosts.slice(1, 3), fleet.username);
        const open = await vz.startPaused(hostIds.slice(1, 3));
        paused = open;
        cleanup.add('paused deployment', () => vz.cancelPaused(open));
        const routes: { name: string; route: string; request: Parameters<typeof measureLoad>[2] }[] = [
          { name: 'live', route: 'GET /health/live', request: { url: `${gateway.url}/health/live` } },
          {
            name: 'task',
            route: 'GET /tasks/:id (a finished task)',
            request: { url: `${gateway.url}/tasks/${first.task.id}`, headers: auth },
          },
          {
            name: 'taskOpen',
            route: 'GET /tasks/:id (a task not finished: a deployment paused at its canary gate)',
            request: { url: `${gateway.url}/tasks/${open.taskId}`, headers: auth },
          },
          {
            name: 'replay',
            route: 'POST /deployments (replayed Idempotency-Key, same body)',
            request: {
              url: `${gateway.url}/deployments`,
              method: 'POST',
              headers: { ...auth, 'Content-Type': 'application/json', 'Idempotency-Key': replayKey },
              body: replayBody,
            },
          },
        ];
        for (const { name, route, request } of routes) {
          try {
            const baseline = await measureLoad(loadDir, `bare-before-${name}`, { url: `${bare.url}/` });
            const result = await measureLoad(loadDir, name, request);
            load.push({ name, route, result, baseline });
            log(`load ${route}: ${result.rps.toFixed(0)} rps p99 ${result.p99Ms.toFixed(2)} ms (bare ${baseline.rps.toFixed(0)} rps)`);
          } catch (error) {
            load.push({ name, route, error: errorText(error) });
            log(`load ${route} FAILED: ${errorText(error)}`);
          }
        }
      } catch (error) {
        log(`load FAILED: ${errorText(error)}`);
        load.push({ name: 'setup', route: 'all', error: errorText(error) });
      } finally {
        await bare.stop();
        cleanup.remove('bare app');
        if (paused) {
          await vz.cancelPaused(paused).catch((error: unknown) => log(`cancel of the paused deployment: ${errorText(error)}`));
          cleanup.remove('paused deployment');
        }
      }

    // 4. Scale and memory: a fresh worker per size.
    const scale: ScaleRow[] = [];
    const measureScale = async (
      size: number,
      scaleHosts: FleetHost[],
      ids: string[],
      scaleSsh: OpenSshOptions,
      peer?: Measured,
    ): Promise<ScaleRow> => {
      const row: ScaleRow = { hosts: size, floorSeconds: floorSeconds(size) };
      await restartWorker({ logName: `worker-scale-${size}.log` });
      row.workerIdleRssMiB = memoryOf(worker.pid).rssMiB;
      await warmUp(scaleHosts, ids);
      const vzMeasured = measured();
      const peerMeasured = peer ?? measured();
      let peakRss = 0;
      const runVulnZero = async (round: number) => {
        await resetFleetState(scaleHosts, fleet.username);
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
        const sampler = new RssSampler(worker.pid).start();
        const { value: timing, machineCpu, split, byGroup } = await withCpu(() => vz.deploy(ids));
        const memory = sampler.stop();
        if (timing.task.status !== 'succeeded') throw new Error(`deployment over ${size} hosts ended ${timing.deployment.status}`);
        await assertRolledOut(scaleHosts, 'VulnZero');
        record(vzMeasured, 'vulnzero', timing.seconds, machineCpu, byGroup);
        peakRss = Math.max(peakRss, memory.peakRssMiB);
        row.workerHwmMiB = memory.hwmMiB;
        log(`scale ${size} round ${round + 1}: VulnZero ${timing.seconds.toFixed(2)} s (machine CPU ${machineCpu.toFixed(1)} s: ${split})`);
      };
      const runPeer = async (round: number) => {
        await resetFleetState(scaleHosts, fleet.username);
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
        const { value: seconds, machineCpu, split, byGroup } = await withCpu(() => runOpenSshRollout(scaleHosts, scaleSsh));
        await assertRolledOut(scaleHosts, 'OpenSSH tuned');
        record(peerMeasured, 'peer', seconds, machineCpu, byGroup);
        log(`scale ${size} round ${round + 1}: OpenSSH tuned ${seconds.toFixed(2)} s (machine CPU ${machineCpu.toFixed(1)} s: ${split})`);
      };
      // The peer's figure at 200 hosts comes from the rollout's rounds; otherwise
      // both take turns going first, as in the rollout.
      const rounds = peer === undefined ? SCALE_ROUNDS : Math.max(1, Math.ceil(SCALE_ROUNDS / 2));
      for (let round = 0; round < rounds; round++) {
        if (interrupted) break;
        if (peer !== undefined) await runVulnZero(round);
        else if (round % 2 === 0) {
          await runVulnZero(round);
          await runPeer(round);
        } else {
          await runPeer(round);
          await runVulnZero(round);
        }
      }
      row.vulnzeroSeconds = median(vzMeasured.rounds);
      row.workerPeakRssMiB = peakRss;
      row.opensshTunedSeconds = median(peerMeasured.rounds);
      row.vulnzeroMachineCpu = median(vzMeasured.machineCpu);
      row.opensshTunedMachineCpu = median(peerMeasured.machineCpu);
      row.hostsCpu = { vulnzero: median(vzMeasured.hostsCpu), opensshTuned: median(peerMeasured.hostsCpu) };
      row.driverCpu = { vulnzero: median(vzMeasured.driverCpu), opensshTuned: median(peerMeasured.driverCpu) };
      row.rounds = vzMeasured.rounds.length;
      log(
        `scale ${size}: VulnZero ${row.vulnzeroSeconds.toFixed(2)} s (median of ${vzMeasured.rounds.length}), RSS idle ${row.workerIdleRssMiB.toFixed(0)} → peak ${row.workerPeakRssMiB.toFixed(0)} MiB; OpenSSH tuned ${row.opensshTunedSeconds.toFixed(2)} s`,
      );
      return row;
    };
    // VZ_BENCH_SCALE_SIZES=0 runs the big fleet only.
    const smallSizes = (process.env.VZ_BENCH_SCALE_SIZES ?? `50,${HOSTS}`)
      .split(',')
      .map(Number)
      .filter((size) => size > 0 && size <= HOSTS);
    for (const size of PARTS.has('scale') ? smallSizes : []) {
      try {
        // At the fleet's full size the peer is the rollout's median, when the rollout ran.
        const peer = size === HOSTS && tools.opensshTuned.rounds.length > 0 ? tools.opensshTuned : undefined;
        scale.push(await measureScale(size, hosts.slice(0, size), hostIds.slice(0, size), { ...ssh, kex: TUNED_KEX }, peer));
      } catch (error) {
        scale.push({ hosts: size, floorSeconds: floorSeconds(size), note: `failed: ${errorText(error)}` });
      }
    }
    const bigSize = PARTS.has('scale') ? Number(process.env.VZ_BENCH_SCALE_HOSTS ?? 1000) : 0;
    if (bigSize > 0) {
      const row: ScaleRow = { hosts: bigSize, floorSeconds: floorSeconds(bigSize) };
      const available = availableMemoryGiB();
      const files = openFilesLimit();
      if (available < SCALE_MIN_AVAILABLE_GIB) {
        row.note = `not run: ${available.toFixed(1)} GiB of memory available, ${SCALE_MIN_AVAILABLE_GIB} GiB wanted for ${bigSize} sshd and their sessions`;
      } else if (files < bigSize * 3) {
        row.note = `not run: open files limit ${files} (ulimit -n) is below ${bigSize * 3}`;
      } else {
        await fleet.stop();
        cleanup.remove('fleet');
        const big = new SshFleet({ subnet: SCALE_SUBNET, concurrency: 32, startTimeoutMs: 300_000 });
        cleanup.add('big fleet', () => big.stop());
        try {
          const started = process.hrtime.bigint();
          await big.start(bigSize);
          for (const host of await big.status()) groups?.add('fleet hosts', host.pid);
          const startSeconds = Number(process.hrtime.bigint() - started) / 1e9;
          log(`${bigSize} sshd up on ${SCALE_SUBNET} in ${startSeconds.toFixed(1)} s (${available.toFixed(1)} GiB were available)`);
          const bigKnownHosts = path.join(WORK_DIR, `known_hosts-${SCALE_SUBNET}`);
          await writeKnownHosts(big.hosts, bigKnownHosts);
          const bigIds = await vz.registerHosts(big.hosts, 'f1000', await vz.addCredential('bench-fleet-1000', big));
          const measured = await measureScale(bigSize, big.hosts, bigIds, {
            privateKeyPath: big.privateKeyPath,
            knownHostsFile: bigKnownHosts,
            username: big.username,
            kex: TUNED_KEX,
          });
          Object.assign(row, measured, {
            note: `fleet of ${bigSize} sshd started in ${startSeconds.toFixed(0)} s; ${availableMemoryGiB().toFixed(1)} GiB still available after the run`,
          });
        } catch (error) {
          row.note = `failed: ${errorText(error)}`;
          log(`scale ${bigSize} FAILED: ${errorText(error)}`);
        } finally {
          await big.stop();
          cleanup.remove('big fleet');
        }
      }
      scale.push(row);
    }

    const results: BenchResults = {
      startedAt,
      totalSeconds: Number(process.hrtime.bigint() - benchStarted) / 1e9,
      machine: await machine(services),
      hosts: HOSTS,
      waves: waveCount(HOSTS),
      floorSeconds: floorSeconds(HOSTS),
      handshakes,
      tools,
      ...(medianTiming ? { vulnzeroBreakdown: breakdownOf(medianTiming) } : {}),
      vulnzeroPeakRssMiB: vzPeakRss,
      ...(profile ? { profile } : {}),
      ...(profileError ? { profileError } : {}),
      load,
      loadBaseline:
        'a bare NestJS 12 app (bench/bare-app.ts: Express, one controller returning a constant, no guards, logging or database)',
      scale,
    };
    await fs.writeFile(path.join(WORK_DIR, 'results.json'), JSON.stringify(results, null, 2));
    // Only a complete run may stand as the project's figures.
    const report = PARTIAL ? path.join(WORK_DIR, 'BENCHMARKS.partial.md') : path.join(REPO_ROOT, 'BENCHMARKS.md');
    // The real-Debian-hosts section comes from its own target (bench/debian-fleet-bench.ts): keep it.
    const previous = await fs.readFile(report, 'utf8').catch(() => '');
    const kept = previous.slice(previous.indexOf(SECTION_START), previous.indexOf(SECTION_END) + SECTION_END.length);
    const rendered = renderBenchmarks(results);
    await fs.writeFile(report, previous.includes(SECTION_START) && previous.includes(SECTION_END) ? withSection(rendered, kept) : rendered);
    process.stdout.write(renderSummary(results));
    log(`${path.relative(REPO_ROOT, report)} written`);
  } finally {
    await cleanup.run();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
