import type { HostStatus } from './host-state';
import { hostsToRetry } from './retry-selection';

describe('hostsToRetry', () => {
  it.each<[string, HostStatus, boolean]>([
    ['retries a failed host', 'failed', true],
    ['retries a rolled back host', 'rolled_back', true],
    ['retries a host that never started', 'pending', true],
    ['retries a skipped host', 'skipped', true],
    ['leaves a healthy host alone', 'healthy', false],
    ['leaves a host whose rollback failed to an operator', 'rollback_failed', false],
  ])('%s', (_name, status, retried) => {
    expect(hostsToRetry([{ hostId: 'h', status }])).toEqual(retried ? ['h'] : []);
  });
});

it('keeps the hosts in the order the deployment had them', () => {
  expect(
    hostsToRetry([
      { hostId: 'a', status: 'skipped' },
      { hostId: 'b', status: 'healthy' },
      { hostId: 'c', status: 'failed' },
    ]),
  ).toEqual(['a', 'c']);
});
