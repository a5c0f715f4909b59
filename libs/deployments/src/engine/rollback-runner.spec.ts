// RollbackRunner against a recording fake host executor (the SSH port): which
// commands run, in which order, with VZ_DEPLOYMENT_ID, and which status each
// outcome earns. Real sshd, PostgreSQL and Redis: the e2e suites.
import type { ExecOptions, ExecResult, SshSession } from '@vulnzero/ssh';
import type { TaskEventsPublisher, TasksService } from '@vulnzero/tasks';
import type { PatchDefinition } from '@vulnzero/patches';
import type { DeploymentHostEntity } from '../deployment.entity';
import type { DeploymentRecords } from '../deployment-records';
import type { HealthChecker } from './health-checker';
import type { HostSessions } from './host-sessions';
import { RollbackRunner } from './rollback-runner';

const DEPLOYMENT = '0b7c3c1e-5d0e-4b8e-9a4f-1f2e3d4c5b6a';

function result(exitCode: number | null, stdout = ''): ExecResult {
  return {
    exitCode,
    signal: null,
    stdout,
    stderr: '',
    stdoutBytes: Buffer.from(stdout),
    stdoutTotalBytes: stdout.length,
    truncated: false,
    timedOut: false,
    durationMs: 1,
  };
}

/** Records every command; answers by the first rule whose text the command contains. */
class RecordingHost {
  readonly commands: string[] = [];
  constructor(private readonly rules: [string, ExecResult][]) {}
  exec(command: string, _options: ExecOptions): Promise<ExecResult> {
    this.commands.push(command);
    const rule = this.rules.find(([text]) => command.includes(text));
    return Promise.resolve(rule ? rule[1] : result(0));
  }
}

function host(rollbackCommands: string[] | null): DeploymentHostEntity {
  return {
    deploymentId: DEPLOYMENT,
    hostId: 'h1',
    hostName: 'web-1',
    address: '10.0.0.1',
    resolvedAddress: '10.0.0.1',
    status: 'failed',
    rollbackCommands,
    restartReport: null,
  } as unknown as DeploymentHostEntity;
}

function patch(overrides: Partial<PatchDefinition> = {}): PatchDefinition {
  return {
    name: 'p',
    capture: {},
    apply: ['apply'],
    rollback: ['undo'],
    verify: 'check-verify',
    healthChecks: [],
    timeoutSeconds: 30,
    package: null,
    report: null,
    irreversible: false,
    ...overrides,
  };
}

async function rollBack(target: DeploymentHostEntity, definition: PatchDefinition, fake: RecordingHost) {
  const transitions: { to: string; extra: Record<string, unknown> }[] = [];
  const records = {
    load: async () => ({ deployment: { id: DEPLOYMENT, taskId: 'deploy-task' }, hosts: [target] }),
    transitionHost: async (_d: string, _h: string, _from: string, to: string, extra: Record<string, unknown>) => {
      transitions.push({ to, extra });
    },
    appendOutput: async () => undefined,
  } as unknown as DeploymentRecords;
  const tasks = { transition: async () => undefined, updateProgress: async () => undefined } as unknown as TasksService;
  const events = { publish: () => undefined } as unknown as TaskEventsPublisher;
  const health = { check: async () => ({ passed: true, records: [] }) } as unknown as HealthChecker;
  const sessions = { session: async () => fake as unknown as SshSession } as unknown as HostSessions;
  const outcome = await new RollbackRunner(records, health, tasks, events).run(DEPLOYMENT, 'rb-task', ['h1'], definition, sessions, 1);
  return { outcome, transitions };
}

describe('RollbackRunner', () => {
  it('runs the stored commands in order with VZ_DEPLOYMENT_ID, then verify, and calls a host rolled back only when verify fails', async () => {
    const fake = new RecordingHost([['check-verify', result(1)]]);
    const { outcome, transitions } = await rollBack(host(['undo-1', 'undo-2']), patch(), fake);
    expect(fake.commands).toEqual([
      `VZ_DEPLOYMENT_ID='${DEPLOYMENT}'; export VZ_DEPLOYMENT_ID; undo-1`,
      `VZ_DEPLOYMENT_ID='${DEPLOYMENT}'; export VZ_DEPLOYMENT_ID; undo-2`,
      `VZ_DEPLOYMENT_ID='${DEPLOYMENT}'; export VZ_DEPLOYMENT_ID; check-verify`,
    ]);
    expect(outcome).toEqual({ status: 'rolled_back', failedHosts: [] });
    expect(transitions.map((t) => t.to)).toEqual(['rolling_back', 'rolled_back']);
  });

  it('calls a host rollback_failed when verify still passes after its commands', async () => {
    const fake = new RecordingHost([['check-verify', result(0)]]);
    const { outcome, transitions } = await rollBack(host(['undo']), patch(), fake);
    expect(outcome).toEqual({ status: 'rollback_failed', failedHosts: ['web-1'] });
    expect(transitions.at(-1)?.extra.error).toContain('verify still passes after the rollback');
  });

  it('stops at the first failing command and keeps its exit code', async () => {
    const fake = new RecordingHost([['undo-1', result(3)]]);
    const { outcome, transitions } = await rollBack(host(['undo-1', 'undo-2']), patch(), fake);
    expect(fake.commands).toHaveLength(1);
    expect(outcome.status).toBe('rollback_failed');
    expect(transitions.at(-1)).toEqual(expect.objectContaining({ to: 'rollback_failed', extra: expect.objectContaining({ exitCode: 3 }) }));
  });

  it('never calls a host with no stored commands rolled back', async () => {
    const fake = new RecordingHost([]);
    const { outcome } = await rollBack(host([]), patch(), fake);
    expect(fake.commands).toEqual([]);
    expect(outcome.status).toBe('rollback_failed');
  });

  it("proves a package patch's rollback by its own state check: no verify, and the report kept", async () => {
    const fake = new RecordingHost([['report-cmd', result(0, 'stale\t42\tnginx\t/usr/lib/libssl.so.3\n')]]);
    const definition = patch({
      package: { manager: 'apt', source: 'openssl', version: '3.0.22-1~deb12u2' },
      report: 'report-cmd',
      verify: 'check-verify',
    });
    const { outcome, transitions } = await rollBack(host(['write-plan', 'restore']), definition, fake);
    expect(fake.commands.map((c) => c.replace(/^VZ_DEPLOYMENT_ID='[^']+'; export VZ_DEPLOYMENT_ID; /, ''))).toEqual([
      'write-plan',
      'restore',
      'report-cmd',
    ]);
    expect(outcome.status).toBe('rolled_back');
    const report = transitions.at(-1)?.extra.restartReport as { afterRollback: { staleProcesses: unknown[] } };
    expect(report.afterRollback.staleProcesses).toEqual([{ pid: 42, command: 'nginx', libraries: ['/usr/lib/libssl.so.3'] }]);
  });
});
