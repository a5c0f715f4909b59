import {
  assertTransition,
  canTransition,
  DEPLOYMENT_STATUSES,
  isTerminal,
} from './deployment-state';
import type { DeploymentStatus } from './deployment-state';
import { InvalidTransitionError } from './invalid-transition.error';

describe('deployment status', () => {
  it('has exactly the docs/api.md#deployments statuses', () => {
    expect([...DEPLOYMENT_STATUSES]).toEqual([
      'pending',
      'running',
      'paused',
      'succeeded',
      'failed',
      'rolling_back',
      'rolled_back',
      'rollback_failed',
      'cancelled',
    ]);
  });

  it.each<[string, DeploymentStatus, DeploymentStatus]>([
    ['starts running', 'pending', 'running'],
    ['pauses at a gate', 'running', 'paused'],
    ['resumes on promote', 'paused', 'running'],
    ['succeeds', 'running', 'succeeded'],
    ['fails without autoRollback', 'running', 'failed'],
    ['rolls back automatically', 'running', 'rolling_back'],
    ['is cancelled while running', 'running', 'cancelled'],
    ['is cancelled while paused', 'paused', 'cancelled'],
    ['is rolled back from a gate', 'paused', 'rolling_back'],
    ['is rolled back by an operator after success', 'succeeded', 'rolling_back'],
    ['is rolled back by an operator after failing', 'failed', 'rolling_back'],
    ['is rolled back by an operator after a cancel', 'cancelled', 'rolling_back'],
    ['ends rolled back', 'rolling_back', 'rolled_back'],
    ['ends with a failed rollback', 'rolling_back', 'rollback_failed'],
    ['retries a failed rollback', 'rollback_failed', 'rolling_back'],
  ])('allows a deployment that %s', (_name, from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(() => assertTransition(from, to)).not.toThrow();
  });

  it.each<[string, DeploymentStatus, DeploymentStatus]>([
    ['succeeded to run again', 'succeeded', 'running'],
    ['rolled back to do anything else', 'rolled_back', 'rolling_back'],
    ['pending to succeed without running', 'pending', 'succeeded'],
    ['pending to roll back (nothing changed yet)', 'pending', 'rolling_back'],
    ['rolling back to be cancelled', 'rolling_back', 'cancelled'],
    ['cancelled to resume', 'cancelled', 'running'],
    ['running to itself', 'running', 'running'],
  ])('refuses %s', (_name, from, to) => {
    expect(canTransition(from, to)).toBe(false);
    expect(() => assertTransition(from, to)).toThrow(InvalidTransitionError);
  });

  it('names the entity and both statuses in the error', () => {
    expect(() => assertTransition('rolled_back', 'running')).toThrow(
      'a deployment cannot go from rolled_back to running',
    );
  });

  it.each<[DeploymentStatus, boolean]>([
    ['pending', false],
    ['running', false],
    ['paused', false],
    ['rolling_back', false],
    ['succeeded', true],
    ['failed', true],
    ['cancelled', true],
    ['rolled_back', true],
    ['rollback_failed', true],
  ])('treats %s as terminal: %s', (status, terminal) => {
    expect(isTerminal(status)).toBe(terminal);
  });
});
