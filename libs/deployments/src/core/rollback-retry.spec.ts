import type { HostSnapshot } from './next-action';
import { selectRollbackRetry, verifyStillHolds } from './rollback-retry';
import type { VerifyRun } from './verify-verdict';

function aHost(overrides: Partial<HostSnapshot> & { hostId: string }): HostSnapshot & { hostName: string } {
  return { hostName: `${overrides.hostId}-name`, step: 0, status: 'rollback_failed', rollbackStored: true, ...overrides };
}

describe('selectRollbackRetry', () => {
  it.each<{
    name: string;
    hosts: ReturnType<typeof aHost>[];
    later?: [string, string][];
    expected: ReturnType<typeof selectRollbackRetry>;
  }>([
    {
      name: 'retries only the hosts not rolled back yet',
      hosts: [aHost({ hostId: 'a', status: 'rolled_back' }), aHost({ hostId: 'b' }), aHost({ hostId: 'c', status: 'rolled_back' })],
      expected: { hostIds: ['b'], skipped: [] },
    },
    {
      name: 'leaves out hosts the deployment never changed',
      hosts: [
        aHost({ hostId: 'a', status: 'skipped', rollbackStored: false }),
        aHost({ hostId: 'b', status: 'failed', rollbackStored: false }),
        aHost({ hostId: 'c' }),
      ],
      expected: { hostIds: ['c'], skipped: [] },
    },
    {
      name: 'skips a host a later deployment targeted since, naming that deployment',
      hosts: [aHost({ hostId: 'a' }), aHost({ hostId: 'b' })],
      later: [['b', 'dep-2']],
      expected: {
        hostIds: ['a'],
        skipped: [{ hostId: 'b', hostName: 'b-name', reason: expect.stringContaining('deployment dep-2 has targeted the host since') }],
      },
    },
    {
      name: 'keeps the rollback order: the newest change first',
      hosts: [aHost({ hostId: 'a', finishedAt: 1 }), aHost({ hostId: 'b', finishedAt: 3 }), aHost({ hostId: 'c', finishedAt: 2 })],
      expected: { hostIds: ['b', 'c', 'a'], skipped: [] },
    },
    {
      name: 'retries a healthy host a failed rollback never reached',
      hosts: [aHost({ hostId: 'a', status: 'healthy' }), aHost({ hostId: 'b', status: 'rolled_back' })],
      expected: { hostIds: ['a'], skipped: [] },
    },
    {
      name: 'selects nothing when every host is rolled back or taken',
      hosts: [aHost({ hostId: 'a', status: 'rolled_back' }), aHost({ hostId: 'b' })],
      later: [['b', 'dep-3']],
      expected: { hostIds: [], skipped: [{ hostId: 'b', hostName: 'b-name', reason: expect.stringContaining('dep-3') }] },
    },
  ])('$name', ({ hosts, later, expected }) => {
    expect(selectRollbackRetry(hosts, new Map(later ?? []))).toEqual(expected);
  });
});

describe('verifyStillHolds', () => {
  it.each<{ name: string; run: VerifyRun | null; expected: RegExp | true }>([
    { name: 'a verify that exits 0 says the change is still there', run: { exitCode: 0, timedOut: false, stderr: '' }, expected: true },
    {
      name: 'a verify that fails says the change is gone',
      run: { exitCode: 1, timedOut: false, stderr: '' },
      expected: /^verify no longer passes \(exit 1\)/,
    },
    {
      name: 'exit 125 is still an answer of verify',
      run: { exitCode: 125, timedOut: false, stderr: '' },
      expected: /^verify no longer passes \(exit 125\)/,
    },
    {
      name: 'a verify that timed out cannot tell',
      run: { exitCode: null, timedOut: true, stderr: '' },
      expected: /^verify did not finish in 30 s/,
    },
    {
      name: 'a verify that could not run cannot tell',
      run: { exitCode: 127, timedOut: false, stderr: '' },
      expected: /^verify could not run: exit 127/,
    },
    {
      name: 'a verify not allowed to execute cannot tell',
      run: { exitCode: 126, timedOut: false, stderr: '' },
      expected: /^verify could not run: exit 126/,
    },
    {
      name: 'a verify whose connection dropped cannot tell',
      run: { exitCode: 255, timedOut: false, stderr: '' },
      expected: /^verify lost its connection/,
    },
    { name: 'a killed verify cannot tell', run: { exitCode: 137, timedOut: false, stderr: '' }, expected: /^verify was killed \(exit 137/ },
    {
      name: 'a verify without an exit status cannot tell',
      run: { exitCode: null, timedOut: false, stderr: '' },
      expected: /^verify ended without an exit status/,
    },
    { name: 'a patch without verify cannot tell', run: null, expected: /^the patch has no verify/ },
  ])('$name', ({ run, expected }) => {
    const outcome = verifyStillHolds(run, 30);
    if (expected === true) expect(outcome).toEqual({ holds: true });
    else expect(outcome).toEqual({ holds: false, reason: expect.stringMatching(expected) });
  });
});
