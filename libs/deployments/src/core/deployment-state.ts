import { InvalidTransitionError } from './invalid-transition.error';

export const DEPLOYMENT_STATUSES = [
  'pending',
  'running',
  'paused',
  'succeeded',
  'failed',
  'rolling_back',
  'rolled_back',
  'rollback_failed',
  'cancelled',
] as const;

export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

/**
 * Every allowed status change (docs/api.md#deployments). Persisted at each transition so any
 * worker can resume from PostgreSQL alone.
 *
 * The ends of a run (succeeded, failed, cancelled) can still go to
 * rolling_back because `POST /deployments/:id/rollback` undoes a finished
 * deployment too; rollback_failed can retry. Only rolled_back is final.
 */
const TRANSITIONS: Readonly<Record<DeploymentStatus, readonly DeploymentStatus[]>> = {
  // failed: the run could not start (e.g. a target vanished before planning).
  // paused: waiting for `notBefore` or its maintenance window to open.
  pending: ['running', 'paused', 'cancelled', 'failed'],
  running: ['paused', 'succeeded', 'failed', 'rolling_back', 'cancelled'],
  // An SRE who sees a bad canary at a gate rolls back without promoting;
  // failed: its maintenance window closed for good (window_expired).
  paused: ['running', 'rolling_back', 'cancelled', 'failed'],
  succeeded: ['rolling_back'],
  failed: ['rolling_back'],
  cancelled: ['rolling_back'],
  rolling_back: ['rolled_back', 'rollback_failed'],
  rollback_failed: ['rolling_back'],
  rolled_back: [],
};

export function canTransition(from: DeploymentStatus, to: DeploymentStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: DeploymentStatus, to: DeploymentStatus): void {
  if (!canTransition(from, to)) throw new InvalidTransitionError('deployment', from, to);
}

/**
 * The deploy run is over: the engine has nothing more to do, and the
 * deployment holds its hosts no longer. (An operator may still start a
 * rollback from most of these, see the table; that holds them again.) The one
 * list: code and SQL that ask "has it ended?" use it.
 */
export const TERMINAL_DEPLOYMENT_STATUSES: readonly DeploymentStatus[] = [
  'succeeded',
  'failed',
  'cancelled',
  'rolled_back',
  'rollback_failed',
];

export function isTerminal(status: DeploymentStatus): boolean {
  return TERMINAL_DEPLOYMENT_STATUSES.includes(status);
}

/**
 * The deploy run is still to go on: not started, running, or paused (at a
 * gate, or held by its schedule). What a cancel stops and what keeps a named
 * maintenance window in use. Everything else has ended or is a rollback.
 */
export const ACTIVE_DEPLOYMENT_STATUSES: readonly DeploymentStatus[] = ['pending', 'running', 'paused'];

export function isActive(status: DeploymentStatus): boolean {
  return ACTIVE_DEPLOYMENT_STATUSES.includes(status);
}

/** How a task ends; the same words as the tasks lib's final statuses. */
export type FinalTaskStatus = 'succeeded' | 'failed' | 'cancelled';

/**
 * The status a deploy task ends with, from its deployment's (SPEC §5): succeeded
 * only when the deployment did, cancelled when it was, failed otherwise (a
 * rolled-back deployment is a failed one).
 */
export function deployTaskStatus(deploymentStatus: DeploymentStatus): FinalTaskStatus {
  switch (deploymentStatus) {
    case 'succeeded':
      return 'succeeded';
    case 'cancelled':
      return 'cancelled';
    default:
      return 'failed';
  }
}

/** The status a rollback task ends with: succeeded only when every host was rolled back. */
export function rollbackTaskStatus(outcome: 'rolled_back' | 'rollback_failed'): FinalTaskStatus {
  return outcome === 'rolled_back' ? 'succeeded' : 'failed';
}
