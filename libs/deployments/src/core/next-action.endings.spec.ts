import type { DeploymentSnapshot } from './next-action';
import { nextAction } from './next-action';
import { aDeployment, aHost, aStep, hostsIn, NOW, SPEC_STEPS } from './next-action.builders';

describe('nextAction', () => {
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
          hosts: hostsIn(0, ['failed', 'healthy', 'healthy', 'healthy', 'healthy', 'healthy', 'pending']),
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
          hosts: [aHost({ hostId: 'h1', status: 'failed', rollbackStored: false }), aHost({ hostId: 'h2' })],
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

  it.each(['succeeded', 'failed', 'cancelled', 'rolling_back', 'rolled_back', 'rollback_failed'] as const)(
    'has nothing to do for a %s deployment',
    (status) => {
      expect(nextAction(aDeployment({ status }), NOW)).toEqual({ kind: 'none' });
    },
  );

  it('reads the clock only from its parameter', () => {
    const deployment = aDeployment({
      strategy: { bakeSeconds: 10 },
      hosts: hostsIn(0, ['healthy']),
    });
    expect(nextAction(deployment, 0)).toEqual({ kind: 'bake', step: 0, until: 10_000 });
  });
});
