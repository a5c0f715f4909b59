import { assertHostTransition, canHostTransition, hasChangedHost, hostStatusesBefore, HOST_STATUSES, isHostTerminal } from './host-state';
import type { HostStatus } from './host-state';
import { InvalidTransitionError } from './invalid-transition.error';

describe('host status', () => {
  it('has exactly the docs/api.md#deployments statuses', () => {
    expect([...HOST_STATUSES]).toEqual([
      'pending',
      'capturing',
      'applying',
      'verifying',
      'healthy',
      'failed',
      'rolling_back',
      'rolled_back',
      'rollback_failed',
      'skipped',
    ]);
  });

  it.each<[string, HostStatus, HostStatus]>([
    ['captures first', 'pending', 'capturing'],
    ['is skipped before it starts', 'pending', 'skipped'],
    ['applies after its rollback is stored', 'capturing', 'applying'],
    ['fails to capture', 'capturing', 'failed'],
    ['verifies', 'applying', 'verifying'],
    ['fails to apply', 'applying', 'failed'],
    ['becomes healthy', 'verifying', 'healthy'],
    ['fails verification', 'verifying', 'failed'],
    ['fails the post-bake check', 'healthy', 'failed'],
    ['is rolled back while healthy', 'healthy', 'rolling_back'],
    ['is rolled back after failing', 'failed', 'rolling_back'],
    ['ends rolled back', 'rolling_back', 'rolled_back'],
    ['ends with a failed rollback', 'rolling_back', 'rollback_failed'],
    ['retries its rollback', 'rollback_failed', 'rolling_back'],
  ])('allows a host that %s', (_name, from, to) => {
    expect(canHostTransition(from, to)).toBe(true);
    expect(() => assertHostTransition(from, to)).not.toThrow();
  });

  it.each<[string, HostStatus, HostStatus]>([
    ['applying without capturing (no stored rollback)', 'pending', 'applying'],
    ['skipping once started', 'capturing', 'skipped'],
    ['going back to pending', 'failed', 'pending'],
    ['leaving rolled_back', 'rolled_back', 'rolling_back'],
    ['leaving skipped', 'skipped', 'capturing'],
    ['healthy without verifying', 'applying', 'healthy'],
  ])('refuses %s', (_name, from, to) => {
    expect(canHostTransition(from, to)).toBe(false);
    expect(() => assertHostTransition(from, to)).toThrow(InvalidTransitionError);
  });

  it.each<[HostStatus, boolean]>([
    ['rolled_back', true],
    ['skipped', true],
    ['healthy', false],
    ['failed', false],
    ['rollback_failed', false],
  ])('treats %s as terminal: %s', (status, terminal) => {
    expect(isHostTerminal(status)).toBe(terminal);
  });

  it.each<[string, HostStatus, boolean, boolean]>([
    ['a pending host is unchanged', 'pending', false, false],
    ['a skipped host is unchanged', 'skipped', false, false],
    ['a host still capturing is unchanged', 'capturing', false, false],
    ['a host that failed while capturing is unchanged', 'failed', false, false],
    ['a host applying may be changed', 'applying', true, true],
    ['a host verifying is changed', 'verifying', true, true],
    ['a healthy host is changed', 'healthy', true, true],
    ['a host that failed after its rollback was stored may be changed', 'failed', true, true],
    ['a host whose rollback failed is still changed', 'rollback_failed', true, true],
    ['a rolled back host is no longer changed', 'rolled_back', true, false],
  ])('%s', (_name, status, rollbackStored, changed) => {
    expect(hasChangedHost({ status, rollbackStored })).toBe(changed);
  });
});

describe('hostStatusesBefore', () => {
  it.each<{ name: string; to: HostStatus; expected: HostStatus[] }>([
    { name: 'a host is marked healthy only from verifying', to: 'healthy', expected: ['verifying'] },
    {
      name: 'a host fails from any in-flight status or after a failed re-check',
      to: 'failed',
      expected: ['capturing', 'applying', 'verifying', 'healthy'],
    },
    {
      name: 'a rollback starts from a changed host, or again over an interrupted one',
      to: 'rolling_back',
      expected: ['applying', 'verifying', 'healthy', 'failed', 'rolling_back', 'rollback_failed'],
    },
    { name: 'the write-ahead moves a capturing host to applying', to: 'applying', expected: ['capturing'] },
    { name: 'an unchanged host interrupted while capturing starts over', to: 'pending', expected: ['capturing'] },
  ])('$name', ({ to, expected }) => {
    expect(hostStatusesBefore(to)).toEqual(expected);
  });
});
