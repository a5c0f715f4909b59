import {
  ACTIVE_DEPLOYMENT_STATUSES,
  assertTransition,
  canTransition,
  DEPLOYMENT_STATUSES,
  deployTaskStatus,
  isActive,
  isTerminal,
  rollbackTaskStatus,
  TERMINAL_DEPLOYMENT_STATUSES,
} from './deployment-state';
import type { DeploymentStatus, FinalTaskStatus } from './deployment-state';
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
    expect(() => assertTransition('rolled_back', 'running')).toThrow('a deployment cannot go from rolled_back to running');
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

describe('where a deployment stands, and what its task ends with', () => {
  const rows: { status: DeploymentStatus; active: boolean; terminal: boolean; task: FinalTaskStatus }[] = [
    { status: 'pending', active: true, terminal: false, task: 'failed' },
    { status: 'running', active: true, terminal: false, task: 'failed' },
    { status: 'paused', active: true, terminal: false, task: 'failed' },
    { status: 'succeeded', active: false, terminal: true, task: 'succeeded' },
    { status: 'failed', active: false, terminal: true, task: 'failed' },
    { status: 'cancelled', active: false, terminal: true, task: 'cancelled' },
    { status: 'rolling_back', active: false, terminal: false, task: 'failed' },
    { status: 'rolled_back', active: false, terminal: true, task: 'failed' },
    { status: 'rollback_failed', active: false, terminal: true, task: 'failed' },
  ];

  it('has a row for every status', () => {
    expect(rows.map((r) => r.status).sort()).toEqual([...DEPLOYMENT_STATUSES].sort());
  });

  it.each(rows)('$status: active $active, terminal $terminal, its deploy task ends $task', ({ status, active, terminal, task }) => {
    expect(isActive(status)).toBe(active);
    expect(isTerminal(status)).toBe(terminal);
    expect(deployTaskStatus(status)).toBe(task);
  });

  it('never calls a deployment both active and ended', () => {
    expect(ACTIVE_DEPLOYMENT_STATUSES.filter((s) => TERMINAL_DEPLOYMENT_STATUSES.includes(s))).toEqual([]);
  });

  it.each<{ outcome: 'rolled_back' | 'rollback_failed'; task: FinalTaskStatus }>([
    { outcome: 'rolled_back', task: 'succeeded' },
    { outcome: 'rollback_failed', task: 'failed' },
  ])('a rollback that ends $outcome ends its task $task', ({ outcome, task }) => {
    expect(rollbackTaskStatus(outcome)).toBe(task);
  });
});
