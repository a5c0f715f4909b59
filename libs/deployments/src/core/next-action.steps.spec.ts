import type { DeploymentSnapshot } from './next-action';
import { nextAction } from './next-action';
import { aDeployment, aStep, hostsIn, NOW, SPEC_STEPS } from './next-action.builders';
import { parseStrategy } from './strategy';

describe('nextAction', () => {
  describe('starting hosts', () => {
    it.each<[string, DeploymentSnapshot, unknown]>([
      [
        'starts the first step of a pending deployment',
        aDeployment({
          status: 'pending',
          strategy: SPEC_STEPS,
          hosts: [...hostsIn(0, ['pending']), ...hostsIn(1, ['pending'], 2), ...hostsIn(2, ['pending', 'pending'], 3)],
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
          hosts: [...hostsIn(0, ['healthy']), ...hostsIn(1, ['healthy', 'failed'], 2), ...hostsIn(2, ['pending'], 4)],
          steps: [aStep({ index: 0, status: 'succeeded' }), aStep({ index: 1, status: 'running' }), aStep({ index: 2 })],
        }),
        { kind: 'checkHealth', step: 1, hostIds: ['h1', 'h2'] },
      ],
    ])('%s', (_name, deployment, expected) => {
      expect(nextAction(deployment, NOW)).toEqual(expected);
    });
  });

  describe('moving between steps', () => {
    const threeSteps = [...hostsIn(0, ['healthy']), ...hostsIn(1, ['pending'], 2), ...hostsIn(2, ['pending', 'pending'], 3)];
    it.each<[string, DeploymentSnapshot, unknown]>([
      [
        'starts the next step after a checked step',
        aDeployment({
          strategy: SPEC_STEPS,
          hosts: threeSteps,
          steps: [aStep({ index: 0, status: 'succeeded' }), aStep({ index: 1 }), aStep({ index: 2 })],
        }),
        { kind: 'startHosts', step: 1, hostIds: ['h2'] },
      ],
      [
        'pauses after a step named in pauseAfterStep',
        aDeployment({
          strategy: { ...SPEC_STEPS, pauseAfterStep: [0] },
          hosts: threeSteps,
          steps: [aStep({ index: 0, status: 'succeeded' }), aStep({ index: 1 }), aStep({ index: 2 })],
        }),
        { kind: 'pause', step: 0 },
      ],
      [
        'stays paused until promoted',
        aDeployment({
          status: 'paused',
          strategy: { ...SPEC_STEPS, pauseAfterStep: [0] },
          hosts: threeSteps,
          steps: [aStep({ index: 0, status: 'succeeded' }), aStep({ index: 1 }), aStep({ index: 2 })],
        }),
        { kind: 'pause', step: 0 },
      ],
      [
        'continues with the next step once promoted',
        aDeployment({
          status: 'paused',
          strategy: { ...SPEC_STEPS, pauseAfterStep: [0] },
          hosts: threeSteps,
          steps: [aStep({ index: 0, status: 'succeeded', promoted: true }), aStep({ index: 1 }), aStep({ index: 2 })],
        }),
        { kind: 'startHosts', step: 1, hostIds: ['h2'] },
      ],
      [
        'passes an empty step without baking or checking',
        aDeployment({
          strategy: { steps: [1, '10%', '100%'], bakeSeconds: 60 },
          hosts: [...hostsIn(0, ['healthy']), ...hostsIn(2, ['pending', 'pending'], 2)],
          steps: [aStep({ index: 0, status: 'succeeded', bakeUntil: NOW - 1 }), aStep({ index: 1 }), aStep({ index: 2 })],
        }),
        { kind: 'startHosts', step: 2, hostIds: ['h2', 'h3'] },
      ],
      [
        'still pauses at the gate of an empty step',
        aDeployment({
          strategy: { steps: [1, '10%', '100%'], pauseAfterStep: [1] },
          hosts: [...hostsIn(0, ['healthy']), ...hostsIn(2, ['pending', 'pending'], 2)],
          steps: [aStep({ index: 0, status: 'succeeded' }), aStep({ index: 1 }), aStep({ index: 2 })],
        }),
        { kind: 'pause', step: 1 },
      ],
      [
        'succeeds after the last step is checked',
        aDeployment({
          strategy: SPEC_STEPS,
          hosts: [...hostsIn(0, ['healthy']), ...hostsIn(1, ['healthy'], 2), ...hostsIn(2, ['healthy', 'healthy'], 3)],
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
          steps: [aStep({ index: 0, status: 'succeeded' }), aStep({ index: 1, status: 'succeeded' }), aStep({ index: 2 })],
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
});
