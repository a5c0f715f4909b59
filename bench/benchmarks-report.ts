// BENCHMARKS.md from one run's figures, and the summary the run prints.
import type { ProfileSummary } from './cpu-profile';
import type { LoadResult } from './gateway-load';
import { WRK_CONNECTIONS, WRK_SECONDS, WRK_THREADS } from './gateway-load';
import type { TimeBreakdown } from './vulnzero-rollout';

export type ToolKey = 'opensshDefault' | 'opensshTuned' | 'ansibleRaw' | 'ansibleShell' | 'vulnzero';

export interface ToolRounds {
  label: string;
  how: string;
  rounds: number[];
  /** CPU seconds on the client side per round (reaped children for the shell tools; gateway + worker for VulnZero). */
  clientCpu: number[];
  /** CPU seconds of the whole machine per round (all processes: the tool, sshd, PostgreSQL, Redis). */
  machineCpu: number[];
  /** Exact CPU seconds per round (cgroups): the fleet's sshd with every session and command they ran… */
  hostsCpu: number[];
  /** …and the side driving the rollout (xargs + ssh, ansible; worker + gateway + PostgreSQL + Redis). */
  driverCpu: number[];
  errors: string[];
}

export interface ScaleRow {
  hosts: number;
  floorSeconds: number;
  vulnzeroSeconds?: number;
  workerIdleRssMiB?: number;
  workerPeakRssMiB?: number;
  workerHwmMiB?: number;
  opensshTunedSeconds?: number;
  /** Machine CPU seconds over a round (/proc/stat), medians: on 2 cores a tool near 2 × its seconds is CPU-bound. */
  vulnzeroMachineCpu?: number;
  opensshTunedMachineCpu?: number;
  /** Exact CPU (cgroups), medians: the fleet hosts' side and the driving side, per tool. */
  hostsCpu?: { vulnzero: number; opensshTuned: number };
  driverCpu?: { vulnzero: number; opensshTuned: number };
  /** Rounds each tool ran; the seconds are their medians. */
  rounds?: number;
  note?: string;
}

export interface LoadRow {
  name: string;
  route: string;
  result?: LoadResult;
  baseline?: LoadResult;
  error?: string;
}

export interface BenchResults {
  startedAt: Date;
  totalSeconds: number;
  machine: Record<string, string>;
  hosts: number;
  waves: number;
  floorSeconds: number;
  handshakes: { defaultSeconds?: number; tunedSeconds?: number };
  tools: Record<ToolKey, ToolRounds>;
  vulnzeroBreakdown?: TimeBreakdown;
  vulnzeroPeakRssMiB?: number;
  profile?: ProfileSummary & { deploySeconds: number; file: string };
  profileError?: string;
  load: LoadRow[];
  loadBaseline: string;
  scale: ScaleRow[];
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const s = (n: number | undefined, digits = 2) => (n === undefined || Number.isNaN(n) ? 'n/a' : n.toFixed(digits));
const x = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? 'n/a' : `${n.toFixed(2)}×`);

export interface Ratios {
  vulnzeroOverTuned: number;
  vulnzeroOverDefault: number;
  shellOverVulnzero: number;
}

export function ratiosOf(results: BenchResults): Ratios {
  const m = (key: ToolKey) => median(results.tools[key].rounds);
  return {
    vulnzeroOverTuned: m('vulnzero') / m('opensshTuned'),
    vulnzeroOverDefault: m('vulnzero') / m('opensshDefault'),
    shellOverVulnzero: m('ansibleShell') / m('vulnzero'),
  };
}

const verdict = (ok: boolean | undefined) => (ok === undefined ? 'n/a' : ok ? 'met' : '**not met**');

export function renderBenchmarks(r: BenchResults): string {
  const ratios = ratiosOf(r);
  const lines: string[] = [];
  const push = (...more: string[]) => lines.push(...more);
  const date = r.startedAt.toISOString().replace(/\.\d+Z$/, 'Z');

  push(
    '# Benchmarks',
    '',
    `Figures of one real run of \`npm run bench\` (${date}, ${s(r.totalSeconds / 60, 1)} min in all), written by`,
    '`bench/run-bench.ts`. Re-running overwrites this file.',
    '',
    '## Machine',
    '',
    '| | |',
    '|---|---|',
    ...Object.entries(r.machine).map(([k, v]) => `| ${k} | ${v} |`),
    '',
    'A shared machine: other processes ran beside the bench, so compare figures of the same run, not across runs.',
    '',
    `## The rollout: ${r.hosts} hosts, canary 1, 10%, 50%, 100%, 50 in parallel`,
    '',
    'Every tool does the same on each host of a real sshd fleet on loopback: save the old version file, write the',
    'new one, sleep 0.2 s, check a health file. Host keys are verified by every tool. The fleet state is reset before',
    'each round and checked after it (every host must hold the new version and the saved old one), and the tools take',
    "turns within a round, each after a 3 s pause (so that no tool pays for the previous one's teardown, such as",
    "Ansible's 200 ControlPersist masters exiting). Three rounds each; the median counts.",
    '',
    `Floor: the sleeps alone, ${r.waves} waves × 0.2 s = **${s(r.floorSeconds, 1)} s**.`,
    '',
    '| tool | how | rounds (s) | median (s) | × floor | client CPU (s, median) | machine CPU (s, median) | fleet hosts CPU (s, median) |',
    '|---|---|---|---|---|---|---|---|',
  );
  for (const key of ['opensshDefault', 'opensshTuned', 'ansibleRaw', 'ansibleShell', 'vulnzero'] as ToolKey[]) {
    const t = r.tools[key];
    const med = median(t.rounds);
    push(
      `| ${t.label} | ${t.how} | ${t.rounds.map((v) => s(v)).join(', ') || 'none'}${t.errors.length ? ` (${t.errors.length} failed)` : ''} | **${s(med)}** | ${s(med / r.floorSeconds, 1)} | ${s(median(t.clientCpu), 1)} | ${s(median(t.machineCpu), 1)} | ${s(median(t.hostsCpu), 1)} |`,
    );
  }
  push(
    '',
    '"Client CPU" is the CPU time of the side that drives the rollout: xargs + ssh, or ansible-playbook and its ssh',
    "processes (ControlPersist masters that outlive a task are not counted), or VulnZero's gateway + worker processes.",
    '"Machine CPU" is the CPU time of every process on the machine over the round (/proc/stat): the tool, the 200 sshd',
    'and their sessions, and for VulnZero also PostgreSQL and Redis. On a 2-core machine it bounds how fast any tool can go.',
    '"Fleet hosts CPU" is exact (a cgroup holding the fleet\'s sshd): the handshakes, sessions, shells and commands on the',
    'hosts, the part of the machine CPU that the hosts pay.',
    '',
    '### Ratios',
    '',
    '| ratio | value | target |',
    '|---|---|---|',
    `| VulnZero / OpenSSH tuned | **${x(ratios.vulnzeroOverTuned)}** | ≤ 1.0× (${verdict(Number.isNaN(ratios.vulnzeroOverTuned) ? undefined : ratios.vulnzeroOverTuned <= 1)}) |`,
    `| VulnZero / OpenSSH default | **${x(ratios.vulnzeroOverDefault)}** | ≈ 0.4× |`,
    `| Ansible shell / VulnZero | **${x(ratios.shellOverVulnzero)}** | ≥ 10× (${verdict(Number.isNaN(ratios.shellOverVulnzero) ? undefined : ratios.shellOverVulnzero >= 10)}) |`,
    '',
    `Bare handshakes (\`ssh … true\` to all ${r.hosts} hosts at -P 50): OpenSSH default ${s(r.handshakes.defaultSeconds)} s, curve25519-sha256 ${s(r.handshakes.tunedSeconds)} s.`,
    '',
  );
  const errors = Object.values(r.tools).flatMap((t) => t.errors.map((e) => `- ${t.label}: ${e.split('\n')[0]?.slice(0, 300)}`));
  if (errors.length) push('Failed rounds (not counted):', '', ...errors, '');

  if (r.vulnzeroBreakdown) {
    const b = r.vulnzeroBreakdown;
    push(
      "## Where VulnZero's time goes (the median round, from its own records)",
      '',
      '| | ms |',
      '|---|---|',
      `| task created → a worker took the job | ${s(b.queueMs, 0)} |`,
      `| per host: started → first command (SSH connect, DB reads) | ${s(b.connectMs, 1)} |`,
      `| per host: inside its ${s(b.commandsPerHost, 0)} commands (capture, apply incl. 0.2 s sleep, verify, health) | ${s(b.commandsMs, 1)} |`,
      `| per host: the rest (PostgreSQL writes between commands: write-ahead rollback, transitions, output) | ${s(b.bookkeepingMs, 1)} |`,
      `| per host: started → finished | ${s(b.hostMs, 1)} |`,
      `| steps, first host started → step finished (incl. re-checking health of every host so far: ${s(b.rechecksPerHost, 1)} rechecks a host) | ${b.stepsMs.map((v) => s(v, 0)).join(' / ')} |`,
      `| last host finished → task finished | ${s(b.finishMs, 0)} |`,
      `| task finished → the client saw the end event (SSE) | ${s(b.notifyMs, 0)} |`,
      '',
    );
  }
  if (r.profile) {
    const p = r.profile;
    push(
      `## Worker CPU profile (\`node --cpu-prof\`, one extra ${r.hosts}-host deployment, ${s(p.deploySeconds)} s with the profiler on)`,
      '',
      `Over the deployment's ${s(p.windowMs / 1000)} s the worker was busy ${s(p.busyMs / 1000)} s (${s((100 * p.busyMs) / p.windowMs, 0)}% of one core); the rest it waited`,
      'on sshd, PostgreSQL and Redis. Self time, as a share of the busy time:',
      '',
      '| package | self ms | % busy |',
      '|---|---|---|',
      ...p.packages.slice(0, 10).map((e) => `| ${e.name} | ${s(e.selfMs, 0)} | ${s(e.percent, 1)} |`),
      '',
      '| function | where | self ms | % busy |',
      '|---|---|---|---|',
      ...p.functions.map((e) => `| \`${e.name}\` | ${e.where || '—'} | ${s(e.selfMs, 0)} | ${s(e.percent, 1)} |`),
      '',
      'Busy time by what drove it (the outermost library or VulnZero frame of each sampled stack: ssh2 = handling',
      'packets from sshd, typeorm/pg = handling query results, vulnzero = engine code resumed after an await):',
      '',
      '| driven by | ms | % busy |',
      '|---|---|---|',
      ...p.eventSources.slice(0, 8).map((e) => `| ${e.name} | ${s(e.selfMs, 0)} | ${s(e.percent, 1)} |`),
      '',
      'Busy time by the nearest VulnZero function on the stack (its own work plus the library and runtime code it called synchronously):',
      '',
      '| VulnZero function | where | ms | % busy |',
      '|---|---|---|---|',
      ...p.ownCallers.slice(0, 12).map((e) => `| \`${e.name}\` | ${e.where || '—'} | ${s(e.selfMs, 0)} | ${s(e.percent, 1)} |`),
      '',
      `Profile file: \`${p.file}\` (open it in Chrome DevTools → Performance, or \`npx speedscope\`).`,
      '',
    );
  } else if (r.profileError) {
    push('## Worker CPU profile', '', `Not taken: ${r.profileError}`, '');
  }

  push(
    '## Gateway load (wrk)',
    '',
    `wrk ${WRK_THREADS} thread, ${WRK_CONNECTIONS} connections, ${WRK_SECONDS} s after a warm-up, against the gateway process (LOG_LEVEL info, logs to a file,`,
    `rate limiter on with a limit it never reaches). Baseline: ${r.loadBaseline}, measured in the same run right before each route.`,
    '',
    '| route | rps | p50 ms | p99 ms | baseline rps | baseline p99 ms | rps ratio | target |',
    '|---|---|---|---|---|---|---|---|',
  );
  for (const row of r.load) {
    if (!row.result) {
      push(`| ${row.route} | failed: ${row.error ?? '?'} | | | | | | |`);
      continue;
    }
    const ratio = row.baseline ? row.result.rps / row.baseline.rps : NaN;
    const target =
      row.name === 'task' || row.name === 'taskOpen' ? `≥ 0.5× (${verdict(Number.isNaN(ratio) ? undefined : ratio >= 0.5)})` : '';
    const bad = row.result.errors > 0 ? ` (${row.result.errors} errors)` : '';
    push(
      `| ${row.route} | ${s(row.result.rps, 0)}${bad} | ${s(row.result.p50Ms)} | ${s(row.result.p99Ms)} | ${s(row.baseline?.rps, 0)} | ${s(row.baseline?.p99Ms)} | ${x(ratio)} | ${target} |`,
    );
  }
  push(
    '',
    '## Scale and memory: one deployment over 50, 200 and 1,000 hosts',
    '',
    'A fresh worker process per size (idle RSS read before anything runs), warmed up by a 10-host deployment, then the',
    'measured ones; RSS sampled from /proc every 50 ms (peak over the rounds), VmHWM read at the end. OpenSSH',
    'tuned (`xargs -P 50`, curve25519-sha256) is the peer; both take turns going first, the seconds are medians of the',
    "rounds (at 200: VulnZero's rounds against the peer's median above). The bench's log line of each round says where the",
    'machine\'s CPU went, by process (a fleet sshd carries the shells and commands of its sessions). "Cores busy" is the',
    "round's machine CPU (every process, /proc/stat) over its seconds: near the core count, the round is CPU-bound and its",
    "time follows the CPU work of the tool and of the hosts it drives. The fleet hosts' and the driving side's CPU are exact",
    '(cgroups): the driving side is the worker, gateway, PostgreSQL and Redis for VulnZero, xargs and ssh for OpenSSH',
    '(with the bench process waiting on them).',
    '',
    '| hosts | floor (s) | rounds | VulnZero (s) | OpenSSH tuned (s) | VulnZero / OpenSSH | machine CPU (s), VulnZero / OpenSSH | cores busy, VulnZero / OpenSSH | fleet hosts CPU (s), VulnZero / OpenSSH | driving side CPU (s), VulnZero / OpenSSH | worker RSS idle (MiB) | worker RSS peak (MiB) | VmHWM (MiB) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...r.scale.map(
      (row) =>
        `| ${row.hosts} | ${s(row.floorSeconds, 1)} | ${row.rounds ?? 'n/a'} | ${s(row.vulnzeroSeconds)} | ${s(row.opensshTunedSeconds)} | ${x((row.vulnzeroSeconds ?? NaN) / (row.opensshTunedSeconds ?? NaN))} | ${s(row.vulnzeroMachineCpu, 1)} / ${s(row.opensshTunedMachineCpu, 1)} | ${s((row.vulnzeroMachineCpu ?? NaN) / (row.vulnzeroSeconds ?? NaN), 2)} / ${s((row.opensshTunedMachineCpu ?? NaN) / (row.opensshTunedSeconds ?? NaN), 2)} | ${s(row.hostsCpu?.vulnzero, 1)} / ${s(row.hostsCpu?.opensshTuned, 1)} | ${s(row.driverCpu?.vulnzero, 1)} / ${s(row.driverCpu?.opensshTuned, 1)} | ${s(row.workerIdleRssMiB, 0)} | ${s(row.workerPeakRssMiB, 0)} | ${s(row.workerHwmMiB, 0)} |`,
    ),
    '',
    ...r.scale.filter((row) => row.note).map((row) => `- ${row.hosts} hosts: ${row.note}`),
    '',
    '## How to reproduce',
    '',
    '```bash',
    'npm ci',
    'sudo npm run bench    # as root: starts sshd fleets (127.70.0.0/16: 200 hosts, 127.71: 1,000), installs ansible and wrk with apt when missing',
    '```',
    '',
    "It uses the project's PostgreSQL and Redis (`DATABASE_URL`/`REDIS_URL`, else `.vulnzero/services.env`, else",
    '`scripts/services.sh up`), in a database of its own (`vulnzero_bench`, dropped and recreated; `VZ_BENCH_DB`) and Redis',
    'db 6 (`VZ_BENCH_REDIS_DB`), builds, runs the gateway and worker from `dist/`, and rewrites this file. Work files',
    '(inventory, playbooks, known_hosts, wrk output, logs, the CPU profile) are in `.vulnzero/bench/`. Set',
    '`VZ_BENCH_SCALE_HOSTS=0` to skip the 1,000-host fleet, `VZ_BENCH_TOOLS=vulnzero,opensshTuned` to time some tools only,',
    '`VZ_BENCH_ROUNDS=1` for a quick check of the script itself, `VZ_BENCH_PARTS=rollout,profile,load,scale` to run some parts',
    'only (any of these knobs makes it a partial run, written to `.vulnzero/bench/BENCHMARKS.partial.md` instead of this file).',
    'The gateway load alone, with a CPU profile of the gateway: `VZ_BENCH_DB=vulnzero_bench_gw VZ_BENCH_PROFILE=1 node dist/bench/gateway-profile.js`.',
    '',
    '## Method notes',
    '',
    "- OpenSSH: `xargs -P 50 -I{} ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=<fleet keys> … 'cp … && printf … && sleep 0.2 && test …'`,",
    '  one `xargs` per canary step (the next host starts when one of the 50 finishes). Tuned adds `-o KexAlgorithms=curve25519-sha256`.',
    '- Ansible: four tasks (save, write, sleep, check) with `raw` or `shell`, `serial: [1, "10%", "50%", "100%"]` (Ansible\'s',
    '  serial is per batch, not cumulative: batches of 1, 20, 100 and 79 hosts, the same six waves of at most 50),',
    '  forks 50, `pipelining = True`, `ControlPersist=60s`, `gathering = explicit`; masters are closed between rounds.',
    '- VulnZero: `POST /deployments` with `{type: canary, steps: [1, "10%", "50%", "100%"], maxParallel: 50, bakeSeconds: 0}`',
    '  for a patch whose capture reads the version, apply saves, writes and sleeps, verify greps the new version and',
    "  one command health check reads the health file; the clock stops when the task's SSE stream sends its `end`",
    "  event. On top of the shell tools' work it stores each host's rendered rollback before apply, records every",
    '  transition and command output in PostgreSQL, and re-checks the health of every host patched so far after each step.',
    "  A host's capture, apply, verify and first health attempt run in one SSH channel (one shell on the host, as the",
    "  shell tools' single command does), each command with its own record and deadline; the host waits at a gate",
    '  after capture until its rendered rollback is committed, so nothing changes a host before its way back is stored.',
    '',
  );
  return lines.join('\n');
}

export function renderSummary(r: BenchResults): string {
  const ratios = ratiosOf(r);
  const m = (key: ToolKey) => s(median(r.tools[key].rounds));
  return [
    '',
    `medians over ${r.hosts} hosts (floor ${s(r.floorSeconds, 1)} s):`,
    `  OpenSSH default ${m('opensshDefault')} s · OpenSSH tuned ${m('opensshTuned')} s · Ansible raw ${m('ansibleRaw')} s · Ansible shell ${m('ansibleShell')} s · VulnZero ${m('vulnzero')} s`,
    `ratios: VulnZero/OpenSSH-tuned ${x(ratios.vulnzeroOverTuned)} (target ≤ 1.0×) · VulnZero/OpenSSH-default ${x(ratios.vulnzeroOverDefault)} · Ansible-shell/VulnZero ${x(ratios.shellOverVulnzero)} (target ≥ 10×)`,
    ...r.load
      .filter((row) => row.result && row.baseline)
      .map(
        (row) =>
          `load: ${row.route} ${s(row.result?.rps, 0)} rps, p99 ${s(row.result?.p99Ms)} ms = ${x((row.result?.rps ?? NaN) / (row.baseline?.rps ?? NaN))} of the baseline`,
      ),
    ...r.scale.map(
      (row) =>
        `scale: ${row.hosts} hosts VulnZero ${s(row.vulnzeroSeconds)} s (OpenSSH tuned ${s(row.opensshTunedSeconds)} s), worker peak RSS ${s(row.workerPeakRssMiB, 0)} MiB`,
    ),
    '',
  ].join('\n');
}
