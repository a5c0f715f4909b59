import type { DeploymentView, TaskView } from './gateway-types';
import {
  describeEvent,
  describeTask,
  formatTable,
  renderDeploymentSummary,
  renderProgressBar,
  renderScanSummary,
  timestamp,
} from './progress-render';

const aTask = (over: Partial<TaskView> = {}): TaskView => ({
  id: 't1',
  type: 'deploy',
  status: 'running',
  resourceType: 'deployment',
  resourceId: 'd1',
  progress: { phase: 'step 2/4', done: 9, total: 20, percent: 45 },
  result: null,
  error: null,
  ...over,
});

const aHost = (name: string, status: string, error: string | null = null, exitCode: number | null = 0) => ({
  hostId: `id-${name}`,
  hostName: name,
  step: 0,
  status,
  exitCode,
  error,
});

describe('progress rendering', () => {
  it('prints UTC timestamps to the second', () => expect(timestamp(new Date('2026-05-01T12:00:03.456Z'))).toBe('2026-05-01T12:00:03Z'));

  it('describes a task in one line', () => {
    expect(describeTask(aTask())).toBe('deploy running · step 2/4 · 9/20 hosts (45%)');
    expect(
      describeTask(
        aTask({
          status: 'failed',
          progress: { phase: 'rolled back', done: 3, total: 3, percent: 100 },
          error: { message: 'health failed' },
        }),
      ),
    ).toBe('deploy failed · rolled back · 3/3 hosts (100%) · error: health failed');
  });

  it('draws a bar that fills with the percentage and never exceeds the terminal width', () => {
    const line = renderProgressBar(aTask(), 63_000, 100);
    expect(line).toBe(`[${'#'.repeat(14)}${'-'.repeat(16)}]  45% step 2/4 · 9/20 hosts · 1m 3s`);
    for (const columns of [30, 50, 80]) expect(renderProgressBar(aTask(), 1_000, columns).length).toBeLessThan(columns);
    expect(renderProgressBar(aTask({ progress: { phase: 'step 4/4', done: 20, total: 20, percent: 100 } }), 0, 80)).toMatch(
      /^\[#{20}\] 100%/,
    );
  });

  it.each([
    [{ event: 'host', data: { hostName: 'web-03', status: 'failed', error: 'health: exit 1' } }, 'host web-03 failed — health: exit 1'],
    [{ event: 'host', data: { hostName: 'web-01', status: 'applying', error: null } }, 'host web-01 applying'],
    [
      { event: 'step', data: { index: 0, status: 'baking', until: '2026-05-01T12:00:30.000Z' } },
      'step 1 baking until 2026-05-01T12:00:30Z',
    ],
    [{ event: 'step', data: { index: 1, status: 'succeeded' } }, 'step 2 succeeded'],
    [{ event: 'task', data: aTask() as unknown as Record<string, unknown> }, 'deploy running · step 2/4 · 9/20 hosts (45%)'],
    [{ event: 'deployment', data: { status: 'running' } }, null],
  ])('logs the event %j as %j', (event, line) => expect(describeEvent(event)).toBe(line));

  it('aligns table columns', () =>
    expect(
      formatTable(
        ['A', 'LONGER'],
        [
          ['xyz', '1'],
          ['q', '22'],
        ],
      ),
    ).toEqual(['A    LONGER', 'xyz  1', 'q    22']));

  it('summarizes a rolled-back deployment: hosts by status, then each failed host with its error', () => {
    const deployment: DeploymentView = {
      id: 'd1',
      status: 'rolled_back',
      patchId: 'p1',
      taskId: 't1',
      rollbackTaskId: 't2',
      steps: [],
      hosts: [
        aHost('web-01', 'rolled_back'),
        aHost('web-02', 'rolled_back'),
        aHost('web-03', 'rolled_back', 'health: test "$(cat health)" = ok\nexited 1', 1),
        aHost('web-04', 'skipped', null, null),
      ],
    };
    expect(renderDeploymentSummary(deployment)).toEqual([
      'deployment d1: rolled_back (4 hosts)',
      '',
      '  HOST STATUS  HOSTS',
      '  rolled_back  3',
      '  skipped      1',
      '',
      'failed hosts (1):',
      '  HOST    STEP  STATUS       EXIT  ERROR',
      '  web-03  1     rolled_back  1     health: test "$(cat health)" = ok exited 1',
    ]);
  });

  it('lists no failed hosts for a clean deployment', () => {
    const lines = renderDeploymentSummary({
      id: 'd',
      status: 'succeeded',
      patchId: 'p',
      taskId: 't',
      rollbackTaskId: null,
      steps: [],
      hosts: [aHost('a', 'healthy')],
    });
    expect(lines.join('\n')).not.toContain('failed hosts');
    expect(lines[0]).toBe('deployment d: succeeded (1 host)');
  });

  it('lists the rollback host by host, in the order it ran', () => {
    const at = (s: number) => new Date(Date.UTC(2026, 4, 1, 12, 0, s)).toISOString();
    const lines = renderDeploymentSummary({
      id: 'd',
      status: 'rolled_back',
      patchId: 'p',
      taskId: 't',
      rollbackTaskId: 'r',
      steps: [],
      hosts: [
        { ...aHost('web-01', 'rolled_back'), rollbackStartedAt: at(20), rollbackFinishedAt: at(21) },
        { ...aHost('web-02', 'rolled_back'), rollbackStartedAt: at(10), rollbackFinishedAt: at(11) },
        { ...aHost('web-03', 'skipped', null, null), rollbackStartedAt: null },
      ],
    });
    expect(lines.slice(lines.indexOf('rollback, in the order it ran (newest change first):'))).toEqual([
      'rollback, in the order it ran (newest change first):',
      '  HOST    STATUS       STARTED               FINISHED',
      '  web-02  rolled_back  2026-05-01T12:00:10Z  2026-05-01T12:00:11Z',
      '  web-01  rolled_back  2026-05-01T12:00:20Z  2026-05-01T12:00:21Z',
    ]);
  });

  it('summarizes a scan: hosts scanned, findings by severity, hosts that could not be scanned', () => {
    const none = { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };
    expect(
      renderScanSummary({
        id: 's1',
        status: 'succeeded',
        summary: { hosts: 2, scanned: 1, failed: 1, pending: 0, findings: { ...none, critical: 1, high: 3 } },
        hosts: [
          {
            hostId: 'a',
            hostName: 'web-01',
            status: 'succeeded',
            errorCode: null,
            error: null,
            findings: { ...none, critical: 1, high: 3 },
          },
          { hostId: 'b', hostName: 'web-02', status: 'failed', errorCode: 'unreachable', error: 'connect ECONNREFUSED', findings: null },
        ],
      }),
    ).toEqual([
      'scan s1: succeeded (1/2 hosts scanned, 1 failed)',
      'findings: critical 1, high 3',
      '',
      'hosts not scanned (1):',
      '  HOST    REASON       ERROR',
      '  web-02  unreachable  connect ECONNREFUSED',
      '',
      'list them: vulnzero findings --severity critical,high',
    ]);
  });
});
