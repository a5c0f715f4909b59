import type { DeploymentSnapshot } from './next-action';
import { nextAction } from './next-action';
import { aDeployment, hostsIn, NOW } from './next-action.builders';

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
