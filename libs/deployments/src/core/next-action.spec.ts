import type { HostStatus } from './host-state';
import { nextAction } from './next-action';
import type { DeploymentSnapshot, HostSnapshot, StepSnapshot } from './next-action';
import { parseStrategy } from './strategy';

const NOW = 1_700_000_000_000;

type StrategyInput = Record<string, unknown>;

/** A canary deployment of `hosts`, with one step row per distinct host step. */
function aDeployment(
  overrides: Partial<Omit<DeploymentSnapshot, 'strategy'>> & { strategy?: StrategyInput } = {},
): DeploymentSnapshot {
  const hosts = overrides.hosts ?? [aHost({ hostId: 'h1' })];
  const stepCount = overrides.steps?.length ?? Math.max(...hosts.map((h) => h.step)) + 1;
  return {
    status: 'running',
    cancelRequested: false,
    ...overrides,
    strategy: parseStrategy({ type: 'canary', steps: ['100%'], ...overrides.strategy }),
    hosts,
    steps: overrides.steps ?? Array.from({ length: stepCount }, (_, index) => aStep({ index })),
  };
}

function aHost(overrides: Partial<HostSnapshot> = {}): HostSnapshot {
  const status = overrides.status ?? 'pending';
  return {
    hostId: 'h',
    step: 0,
    status,
    rollbackStored: !['pending', 'capturing', 'skipped'].includes(status),
    ...overrides,
  };
}

function aStep(overrides: Partial<StepSnapshot> = {}): StepSnapshot {
  return { index: 0, status: 'pending', ...overrides };
}

/** Hosts h1..hN in `step`, all with `status`. */
function hostsIn(step: number, statuses: HostStatus[], firstId = 1): HostSnapshot[] {
  return statuses.map((status, i) =>
    aHost({
      hostId: `h${firstId + i}`,
      step,
      status,
      finishedAt: NOW - 1000 * (statuses.length - i),
    }),
  );
}

const SPEC_STEPS = { steps: [1, '50%', '100%'] };

describe('nextAction', () => {
  describe('starting hosts', () => {
    it.each<[string, DeploymentSnapshot, unknown]>([
      [
        'starts the first step of a pending deployment',
        aDeployment({
          status: 'pending',
          strategy: SPEC_STEPS,
          hosts: [
            ...hostsIn(0, ['pending']),
            ...hostsIn(1, ['pending'], 2),
            ...hostsIn(2, ['pending', 'pending'], 3),
          ],
        }),
        { kind: 'startHosts', step: 0, hostIds: ['h1'] },
      ],
      [
        'starts no more hosts than maxParallel, in target order',
        aDeployment({
          strategy: { maxParallel: 2 },
          hosts: hostsIn(0, ['pending', 'pending', 'pending']),
        }),
        { kind: 'startHosts', step: 0, hostIds: ['h1', 'h2'] },
      ],
      [
        'starts the next host as soon as one slot frees, not per wave',
        aDeployment({
          strategy: { maxParallel: 2 },
          hosts: hostsIn(0, ['healthy', 'applying', 'pending', 'pending']),
        }),
        { kind: 'startHosts', step: 0, hostIds: ['h3'] },
      ],
      [
        'waits when every slot is taken',
        aDeployment({
          strategy: { maxParallel: 2 },
          hosts: hostsIn(0, ['capturing', 'verifying', 'pending']),
        }),
        { kind: 'wait' },
      ],
      [
        'waits for the last hosts of a step before baking',
        aDeployment({ strategy: { bakeSeconds: 30 }, hosts: hostsIn(0, ['healthy', 'applying']) }),
        { kind: 'wait' },
      ],
      [
        'keeps going within the budget after a host fails',
        aDeployment({ strategy: { maxFailures: 1 }, hosts: hostsIn(0, ['failed', 'pending']) }),
        { kind: 'startHosts', step: 0, hostIds: ['h2'] },
      ],
    ])('%s', (_name, deployment, expected) => {
      expect(nextAction(deployment, NOW)).toEqual(expected);
    });
  });

  describe('baking and checking', () => {
    it.each<[string, DeploymentSnapshot, unknown]>([
      [
        'starts the bake when the step is done and no deadline is stored',
        aDeployment({
          strategy: { bakeSeconds: 30 },
          hosts: hostsIn(0, ['healthy']),
          steps: [aStep({ status: 'running' })],
        }),
        { kind: 'bake', step: 0, until: NOW + 30_000 },
      ],
      [
        'keeps baking until the stored deadline',
        aDeployment({
          strategy: { bakeSeconds: 30 },
          hosts: hostsIn(0, ['healthy']),
          steps: [aStep({ status: 'baking', bakeUntil: NOW + 5000 })],
        }),
        { kind: 'bake', step: 0, until: NOW + 5000 },
      ],
      [
        'checks health once the stored deadline has passed',
        aDeployment({
          strategy: { bakeSeconds: 30 },
          hosts: hostsIn(0, ['healthy']),
          steps: [aStep({ status: 'baking', bakeUntil: NOW })],
        }),
        { kind: 'checkHealth', step: 0, hostIds: ['h1'] },
      ],
      [
        'checks health right away without a bake',
        aDeployment({ hosts: hostsIn(0, ['healthy', 'healthy']) }),
        { kind: 'checkHealth', step: 0, hostIds: ['h1', 'h2'] },
      ],
      [
        'repeats a health check interrupted by a crash',
        aDeployment({ hosts: hostsIn(0, ['healthy']), steps: [aStep({ status: 'checking' })] }),
        { kind: 'checkHealth', step: 0, hostIds: ['h1'] },
      ],
      [
        'checks every host patched so far, not only the new step, and not the failed ones',
        aDeployment({
          strategy: { ...SPEC_STEPS, maxFailures: 1 },
          hosts: [
            ...hostsIn(0, ['healthy']),
            ...hostsIn(1, ['healthy', 'failed'], 2),
            ...hostsIn(2, ['pending'], 4),
          ],
          steps: [
            aStep({ index: 0, status: 'succeeded' }),
            aStep({ index: 1, status: 'running' }),
            aStep({ index: 2 }),
          ],
        }),
        { kind: 'checkHealth', step: 1, hostIds: ['h1', 'h2'] },
      ],
    ])('%s', (_name, deployment, expected) => {
      expect(nextAction(deployment, NOW)).toEqual(expected);
    });
  });

  describe('moving between steps', () => {
    const threeSteps = [
      ...hostsIn(0, ['healthy']),
      ...hostsIn(1, ['pending'], 2),
      ...hostsIn(2, ['pending', 'pending'], 3),
    ];
    it.each<[string, DeploymentSnapshot, unknown]>([
      [
        'starts the next step after a checked step',
        aDeployment({
          strategy: SPEC_STEPS,
          hosts: threeSteps,
          steps: [
            aStep({ index: 0, status: 'succeeded' }),
            aStep({ index: 1 }),
            aStep({ index: 2 }),
          ],
        }),
        { kind: 'startHosts', step: 1, hostIds: ['h2'] },
      ],
      [
        'pauses after a step named in pauseAfterStep',
        aDeployment({
          strategy: { ...SPEC_STEPS, pauseAfterStep: [0] },
          hosts: threeSteps,
          steps: [
            aStep({ index: 0, status: 'succeeded' }),
            aStep({ index: 1 }),
            aStep({ index: 2 }),
          ],
        }),
        { kind: 'pause', step: 0 },
      ],
      [
        'stays paused until promoted',
        aDeployment({
          status: 'paused',
          strategy: { ...SPEC_STEPS, pauseAfterStep: [0] },
          hosts: threeSteps,
          steps: [
            aStep({ index: 0, status: 'succeeded' }),
            aStep({ index: 1 }),
            aStep({ index: 2 }),
          ],
        }),
        { kind: 'pause', step: 0 },
      ],
      [
        'continues with the next step once promoted',
        aDeployment({
          status: 'paused',
          strategy: { ...SPEC_STEPS, pauseAfterStep: [0] },
          hosts: threeSteps,
          steps: [
            aStep({ index: 0, status: 'succeeded', promoted: true }),
            aStep({ index: 1 }),
            aStep({ index: 2 }),
          ],
        }),
        { kind: 'startHosts', step: 1, hostIds: ['h2'] },
      ],
      [
        'passes an empty step without baking or checking',
        aDeployment({
          strategy: { steps: [1, '10%', '100%'], bakeSeconds: 60 },
          hosts: [...hostsIn(0, ['healthy']), ...hostsIn(2, ['pending', 'pending'], 2)],
          steps: [
            aStep({ index: 0, status: 'succeeded', bakeUntil: NOW - 1 }),
            aStep({ index: 1 }),
            aStep({ index: 2 }),
          ],
        }),
        { kind: 'startHosts', step: 2, hostIds: ['h2', 'h3'] },
      ],
      [
        'still pauses at the gate of an empty step',
        aDeployment({
          strategy: { steps: [1, '10%', '100%'], pauseAfterStep: [1] },
          hosts: [...hostsIn(0, ['healthy']), ...hostsIn(2, ['pending', 'pending'], 2)],
          steps: [
            aStep({ index: 0, status: 'succeeded' }),
            aStep({ index: 1 }),
            aStep({ index: 2 }),
          ],
        }),
        { kind: 'pause', step: 1 },
      ],
      [
        'succeeds after the last step is checked',
        aDeployment({
          strategy: SPEC_STEPS,
          hosts: [
            ...hostsIn(0, ['healthy']),
            ...hostsIn(1, ['healthy'], 2),
            ...hostsIn(2, ['healthy', 'healthy'], 3),
          ],
          steps: [0, 1, 2].map((index) => aStep({ index, status: 'succeeded' })),
        }),
        { kind: 'complete', status: 'succeeded', skippedHostIds: [] },
      ],
      [
        'succeeds with failures within the budget',
        aDeployment({
          strategy: { maxFailures: '50%' },
          hosts: hostsIn(0, ['healthy', 'failed']),
          steps: [aStep({ status: 'failed' })],
        }),
        { kind: 'complete', status: 'succeeded', skippedHostIds: [] },
      ],
      [
        'succeeds when the plan ends with an empty step',
        aDeployment({
          strategy: { steps: [1, 3, '100%'] },
          hosts: [...hostsIn(0, ['healthy']), ...hostsIn(1, ['healthy', 'healthy'], 2)],
          steps: [
            aStep({ index: 0, status: 'succeeded' }),
            aStep({ index: 1, status: 'succeeded' }),
            aStep({ index: 2 }),
          ],
        }),
        { kind: 'complete', status: 'succeeded', skippedHostIds: [] },
      ],
      [
        'runs an all-at-once deployment as one step bounded by maxParallel',
        {
          ...aDeployment({ hosts: hostsIn(0, ['pending', 'pending', 'pending']) }),
          strategy: parseStrategy({ type: 'all-at-once', maxParallel: 2 }),
        },
        { kind: 'startHosts', step: 0, hostIds: ['h1', 'h2'] },
      ],
    ])('%s', (_name, deployment, expected) => {
      expect(nextAction(deployment, NOW)).toEqual(expected);
    });
  });

  describe('failures beyond the budget', () => {
    it.each<[string, DeploymentSnapshot, unknown]>([
      [
        'starts no new host and waits for the hosts in flight',
        aDeployment({
          strategy: { maxParallel: 3 },
          hosts: hostsIn(0, ['failed', 'applying', 'pending', 'pending']),
        }),
        { kind: 'wait' },
      ],
      [
        'does not abort while failures only reach the budget',
        aDeployment({
          strategy: { maxFailures: 1, maxParallel: 1 },
          hosts: hostsIn(0, ['failed', 'pending']),
        }),
        { kind: 'startHosts', step: 0, hostIds: ['h2'] },
      ],
      [
        'rolls back every changed host newest first, skipping the rest',
        aDeployment({
          strategy: SPEC_STEPS,
          hosts: [
            aHost({ hostId: 'h1', step: 0, status: 'healthy', finishedAt: NOW - 3000 }),
            aHost({ hostId: 'h2', step: 1, status: 'healthy', finishedAt: NOW - 1000 }),
            aHost({
              hostId: 'h3',
              step: 2,
              status: 'failed',
              rollbackStored: true,
              finishedAt: NOW - 500,
            }),
            aHost({ hostId: 'h4', step: 2, status: 'healthy', finishedAt: NOW - 2000 }),
            aHost({ hostId: 'h5', step: 2, status: 'pending' }),
          ],
        }),
        {
          kind: 'rollback',
          hostIds: ['h3', 'h2', 'h4', 'h1'],
          skippedHostIds: ['h5'],
          reason: expect.stringContaining('1 host(s) failed'),
        },
      ],
      [
        'leaves out of the rollback a host that failed before its apply',
        aDeployment({
          hosts: [
            aHost({ hostId: 'h1', status: 'healthy', finishedAt: NOW - 2000 }),
            aHost({ hostId: 'h2', status: 'failed', rollbackStored: false, finishedAt: NOW }),
          ],
        }),
        { kind: 'rollback', hostIds: ['h1'], skippedHostIds: [], reason: expect.any(String) },
      ],
      [
        'rolls back when the post-bake check turns a host unhealthy',
        aDeployment({
          strategy: { maxFailures: 0 },
          hosts: hostsIn(0, ['healthy', 'failed']),
          steps: [aStep({ status: 'failed' })],
        }),
        { kind: 'rollback', hostIds: ['h2', 'h1'], skippedHostIds: [], reason: expect.any(String) },
      ],
      [
        'aborts when the percentage budget rounds down to none',
        aDeployment({
          strategy: { maxFailures: '10%', autoRollback: false },
          hosts: hostsIn(0, [
            'failed',
            'healthy',
            'healthy',
            'healthy',
            'healthy',
            'healthy',
            'pending',
          ]),
        }),
        { kind: 'complete', status: 'failed', skippedHostIds: ['h7'] },
      ],
      [
        'ends failed without autoRollback',
        aDeployment({
          strategy: { autoRollback: false },
          hosts: hostsIn(0, ['failed', 'healthy', 'pending']),
        }),
        { kind: 'complete', status: 'failed', skippedHostIds: ['h3'] },
      ],
      [
        'ends failed when no host was changed, as there is nothing to roll back',
        aDeployment({
          hosts: [
            aHost({ hostId: 'h1', status: 'failed', rollbackStored: false }),
            aHost({ hostId: 'h2' }),
          ],
        }),
        { kind: 'complete', status: 'failed', skippedHostIds: ['h2'] },
      ],
      [
        'rolls back rather than honour a cancel once the budget is exceeded',
        aDeployment({ cancelRequested: true, hosts: hostsIn(0, ['failed', 'healthy']) }),
        { kind: 'rollback', hostIds: ['h2', 'h1'], skippedHostIds: [], reason: expect.any(String) },
      ],
    ])('%s', (_name, deployment, expected) => {
      expect(nextAction(deployment, NOW)).toEqual(expected);
    });
  });

  describe('cancel', () => {
    it.each<[string, DeploymentSnapshot, unknown]>([
      [
        'lets the hosts in flight finish',
        aDeployment({
          cancelRequested: true,
          hosts: hostsIn(0, ['healthy', 'applying', 'pending']),
        }),
        { kind: 'wait' },
      ],
      [
        'ends cancelled once nothing is in flight, skipping hosts not started',
        aDeployment({
          cancelRequested: true,
          hosts: hostsIn(0, ['healthy', 'healthy', 'pending']),
        }),
        { kind: 'complete', status: 'cancelled', skippedHostIds: ['h3'] },
      ],
      [
        'ends a paused deployment cancelled',
        aDeployment({
          status: 'paused',
          cancelRequested: true,
          strategy: { steps: [1, '100%'], pauseAfterStep: [0] },
          hosts: [...hostsIn(0, ['healthy']), ...hostsIn(1, ['pending'], 2)],
          steps: [aStep({ index: 0, status: 'succeeded' }), aStep({ index: 1 })],
        }),
        { kind: 'complete', status: 'cancelled', skippedHostIds: ['h2'] },
      ],
    ])('%s', (_name, deployment, expected) => {
      expect(nextAction(deployment, NOW)).toEqual(expected);
    });
  });

  it.each([
    'succeeded',
    'failed',
    'cancelled',
    'rolling_back',
    'rolled_back',
    'rollback_failed',
  ] as const)('has nothing to do for a %s deployment', (status) => {
    expect(nextAction(aDeployment({ status }), NOW)).toEqual({ kind: 'none' });
  });

  it('reads the clock only from its parameter', () => {
    const deployment = aDeployment({
      strategy: { bakeSeconds: 10 },
      hosts: hostsIn(0, ['healthy']),
    });
    expect(nextAction(deployment, 0)).toEqual({ kind: 'bake', step: 0, until: 10_000 });
  });
});

describe('nextAction inside a schedule (notBefore, maintenance windows)', () => {
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 19);
  /** A one-off UTC window from `from` to `to`, epoch ms. */
  const window = (from: number, to: number) => ({ start: iso(from), end: iso(to), timezone: 'UTC' });
  const MIN = 60_000;

  it.each<[string, DeploymentSnapshot, unknown]>([
    [
      'holds a pending deployment until notBefore',
      aDeployment({ status: 'pending', hosts: hostsIn(0, ['pending', 'pending']), schedule: { notBefore: NOW + 5 * MIN } }),
      { kind: 'hold', reason: 'not_before', until: NOW + 5 * MIN },
    ],
    [
      'starts once notBefore has passed',
      aDeployment({ status: 'pending', hosts: hostsIn(0, ['pending']), schedule: { notBefore: NOW - 1 } }),
      { kind: 'startHosts', step: 0, hostIds: ['h1'] },
    ],
    [
      'holds until the window opens',
      aDeployment({ status: 'pending', hosts: hostsIn(0, ['pending']), schedule: { window: window(NOW + 10 * MIN, NOW + 70 * MIN) } }),
      { kind: 'hold', reason: 'window_closed', until: NOW + 10 * MIN },
    ],
    [
      'starts inside the window',
      aDeployment({ status: 'pending', hosts: hostsIn(0, ['pending']), schedule: { window: window(NOW - MIN, NOW + MIN) } }),
      { kind: 'startHosts', step: 0, hostIds: ['h1'] },
    ],
    [
      'notBefore comes first, then the window',
      aDeployment({
        status: 'pending',
        hosts: hostsIn(0, ['pending']),
        schedule: { notBefore: NOW + MIN, window: window(NOW - MIN, NOW + 60 * MIN) },
      }),
      { kind: 'hold', reason: 'not_before', until: NOW + MIN },
    ],
    [
      'a window closing mid-step lets the running hosts finish and starts no more',
      aDeployment({
        strategy: { maxParallel: 2 },
        hosts: hostsIn(0, ['healthy', 'applying', 'pending', 'pending']),
        // NOW is 22:13:20 UTC: this hourly 10-minute window closed at 22:10.
        schedule: { window: { recurrence: '0 * * * *', duration: '10m', timezone: 'UTC' } },
      }),
      { kind: 'wait' },
    ],
    [
      'an hourly window still open (22:00 + 30m) starts the remaining hosts',
      aDeployment({
        hosts: hostsIn(0, ['healthy', 'healthy', 'pending', 'pending']),
        schedule: { window: { recurrence: '0 * * * *', duration: '30m', timezone: 'UTC' } },
      }),
      { kind: 'startHosts', step: 0, hostIds: ['h3', 'h4'] },
    ],
    [
      'a paused deployment resumes at the opening, with the hosts it had not started',
      aDeployment({
        status: 'paused',
        hosts: hostsIn(0, ['healthy', 'healthy', 'pending', 'pending']),
        schedule: { window: window(NOW - MIN, NOW + MIN) },
      }),
      { kind: 'startHosts', step: 0, hostIds: ['h3', 'h4'] },
    ],
    [
      'a step finished outside the window is still checked (checks change nothing)',
      aDeployment({
        strategy: { steps: [1, '100%'] },
        hosts: [...hostsIn(0, ['healthy']), ...hostsIn(1, ['pending'], 2)],
        schedule: { window: window(NOW - 60 * MIN, NOW - MIN) },
      }),
      { kind: 'checkHealth', step: 0, hostIds: ['h1'] },
    ],
    [
      'a window that never opens again ends the deployment failed, skipping the hosts not started',
      aDeployment({
        hosts: hostsIn(0, ['healthy', 'pending']),
        schedule: { window: window(NOW - 60 * MIN, NOW - MIN) },
      }),
      {
        kind: 'complete',
        status: 'failed',
        skippedHostIds: ['h2'],
        error: { code: 'window_expired', message: expect.stringContaining('never opens again') },
      },
    ],
    [
      'a failure budget exceeded outside the window still rolls back',
      aDeployment({
        hosts: hostsIn(0, ['healthy', 'failed', 'pending']),
        schedule: { window: window(NOW + MIN, NOW + 2 * MIN) },
      }),
      { kind: 'rollback', hostIds: ['h2', 'h1'], skippedHostIds: ['h3'], reason: expect.any(String) },
    ],
  ])('%s', (_name, snapshot, expected) => {
    expect(nextAction(snapshot, NOW)).toEqual(expected);
  });

  it('a recurring window that closed mid-step holds until its next opening', () => {
    // NOW = 2023-11-14T22:13:20Z; a window opening every hour at :00 for 10 minutes closed at 22:10.
    const snapshot = aDeployment({
      hosts: hostsIn(0, ['healthy', 'pending']),
      schedule: { window: { recurrence: '0 * * * *', duration: '10m', timezone: 'UTC' } },
    });
    expect(nextAction(snapshot, NOW)).toEqual({ kind: 'hold', reason: 'window_closed', until: Date.parse('2023-11-14T23:00:00Z') });
  });
});
