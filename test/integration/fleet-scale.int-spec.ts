// 200 real sshd on one machine: the fleet comes up, every host answers over
// SSH with its pinned key, and stop() leaves no process of the fleet behind
// while another sshd keeps running. Subnet 127.62 belongs to this file.
import { readdirSync, readFileSync } from 'node:fs';
import { SshConnectionError, SshConnector, type SshSession } from '@vulnzero/ssh';
import { mapWithConcurrency, SshFleet } from '../fleet/fleet';

jest.setTimeout(300_000);

const HOSTS = 200;
const PARALLEL = 50;

const fleet = new SshFleet({ subnet: '127.62' });
// Another sshd on the same machine, which stopping the big fleet must not touch.
const bystander = new SshFleet({ subnet: '127.62.250' });
const connector = new SshConnector();

interface ProcessInfo {
  pid: number;
  ppid: number;
  comm: string;
  cmdline: string;
}

function processTable(): Map<number, ProcessInfo> {
  const table = new Map<number, ProcessInfo>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const [state, ppid] = stat.slice(close + 2).split(' ');
      if (state === 'Z') continue;
      table.set(Number(entry), {
        pid: Number(entry),
        ppid: Number(ppid),
        comm: stat.slice(stat.indexOf('(') + 1, close),
        cmdline: readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' '),
      });
    } catch {
      // Exited while we were looking.
    }
  }
  return table;
}

/** Processes started from a fleet's configs: its listeners and everything below them. */
function processesOf(baseDir: string): ProcessInfo[] {
  const table = processTable();
  const belongs = (info: ProcessInfo | undefined, depth = 0): boolean =>
    info !== undefined && depth < 64 && (info.cmdline.includes(`${baseDir}/`) || belongs(table.get(info.ppid), depth + 1));
  return [...table.values()].filter((info) => belongs(info));
}

afterAll(async () => {
  await fleet.stop();
  await bystander.stop();
});

it(`brings up ${HOSTS} sshd, runs a command on every one over SSH, and stops all of them and only them`, async () => {
  await bystander.start(1);

  let started = Date.now();
  const description = await fleet.start(HOSTS);
  const upMs = Date.now() - started;
  expect(description.hosts).toHaveLength(HOSTS);
  expect(new Set(description.hosts.map((h) => h.address)).size).toBe(HOSTS);
  expect(new Set(description.hosts.map((h) => h.hostKeyFingerprint)).size).toBe(HOSTS);

  started = Date.now();
  const results = await mapWithConcurrency(fleet.hosts, PARALLEL, async (host) => {
    const session = await connector.connect({
      address: host.address,
      port: host.port,
      username: fleet.username,
      privateKey: fleet.privateKey,
      hostKey: host.hostKey,
      connectTimeoutMs: 30_000,
    });
    try {
      const result = await session.exec('true', { timeoutMs: 30_000 });
      return { host: host.name, exitCode: result.exitCode };
    } finally {
      await session.close();
    }
  });
  const runMs = Date.now() - started;
  expect(results.filter((r) => r.exitCode !== 0)).toEqual([]);

  // Sessions still open at stop time, each running a command, belong to the
  // fleet too and must go with it.
  const lingering: SshSession[] = await Promise.all(
    fleet.hosts.slice(0, 5).map((host) =>
      connector.connect({
        address: host.address,
        port: host.port,
        username: fleet.username,
        privateKey: fleet.privateKey,
        hostKey: host.hostKey,
      }),
    ),
  );
  const running = await Promise.all(
    lingering.map(
      (session) =>
        new Promise<{ outcome: Promise<unknown> }>((resolve) => {
          const outcome = session
            .exec('echo running; sleep 300', {
              timeoutMs: 600_000,
              onOutput: (_stream, chunk) => chunk.toString().includes('running') && resolve({ outcome }),
            })
            .catch((err: unknown) => err);
        }),
    ),
  );
  const fleetProcesses = processesOf(fleet.baseDir);
  // 200 listeners, plus per open session at least its privileged sshd, its user sshd and the command.
  expect(fleetProcesses.length).toBeGreaterThanOrEqual(HOSTS + 3 * lingering.length);
  expect(fleetProcesses.filter((p) => p.comm === 'sleep')).toHaveLength(lingering.length);
  const bystanderListeners = processesOf(bystander.baseDir).map((p) => p.pid);
  expect(bystanderListeners).toHaveLength(1);

  started = Date.now();
  await fleet.stop();
  const stopMs = Date.now() - started;
  // The commands that were running learn that their connection is gone.
  for (const { outcome } of running) await expect(outcome).resolves.toBeInstanceOf(SshConnectionError);
  await Promise.all(lingering.map((s) => s.close()));

  expect(processesOf(fleet.baseDir)).toEqual([]);
  const stillAlive = processTable();
  expect(fleetProcesses.filter((p) => stillAlive.get(p.pid)?.cmdline === p.cmdline)).toEqual([]);
  expect(await fleet.processes()).toEqual([]);
  // The other sshd is untouched and still serves.
  expect(processesOf(bystander.baseDir).map((p) => p.pid)).toEqual(bystanderListeners);
  const [other] = bystander.hosts;
  const session = await connector.connect({
    address: other.address,
    port: other.port,
    username: bystander.username,
    privateKey: bystander.privateKey,
    hostKey: other.hostKey,
  });
  await expect(session.exec('echo "$VZ_HOST_NAME"', { timeoutMs: 5_000 })).resolves.toMatchObject({
    stdout: `${other.name}\n`,
  });
  await session.close();

  // Stopping again is a no-op.
  await fleet.stop();

  // For the report, not asserted: timings depend on the machine.
  console.log(
    `fleet-scale: ${HOSTS} sshd up in ${upMs} ms; 'true' on all over SSH (${PARALLEL} parallel) in ${runMs} ms; stop in ${stopMs} ms`,
  );
});
