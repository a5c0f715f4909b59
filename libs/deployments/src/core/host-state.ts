import { InvalidTransitionError } from './invalid-transition.error';

export const HOST_STATUSES = [
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
] as const;

export type HostStatus = (typeof HOST_STATUSES)[number];

/**
 * Every allowed status change of a host within a deployment (docs/api.md#patches, §4).
 * capturing → applying is the write-ahead point: the rendered rollback is
 * stored in the same transaction, before apply runs.
 */
const TRANSITIONS: Readonly<Record<HostStatus, readonly HostStatus[]>> = {
  // skipped: the deployment aborted or was cancelled before the host started.
  pending: ['capturing', 'skipped'],
  // failed here leaves the host untouched: apply never ran. pending: a worker
  // died before the host's rollback was stored, so nothing changed it; it starts over.
  capturing: ['applying', 'failed', 'pending'],
  // rolling_back: a crash left the host mid-change and its stored rollback undoes it.
  applying: ['verifying', 'failed', 'rolling_back'],
  verifying: ['healthy', 'failed', 'rolling_back'],
  // failed: the post-bake health check of every host patched so far.
  healthy: ['failed', 'rolling_back'],
  failed: ['rolling_back'],
  rolling_back: ['rolled_back', 'rollback_failed'],
  rollback_failed: ['rolling_back'],
  rolled_back: [],
  skipped: [],
};

export function canHostTransition(from: HostStatus, to: HostStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertHostTransition(from: HostStatus, to: HostStatus): void {
  if (!canHostTransition(from, to)) throw new InvalidTransitionError('host', from, to);
}

/**
 * The statuses a host may be in for a write to `to` to be allowed: what the
 * engine's conditional UPDATEs require of the row. A status may be written
 * again over itself (a resumed rollback marks its host `rolling_back` again).
 */
export function hostStatusesBefore(to: HostStatus): HostStatus[] {
  return HOST_STATUSES.filter((from) => (from === to ? to === 'rolling_back' : canHostTransition(from, to)));
}

export function isHostTerminal(status: HostStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

/** Hosts a deploy step is still working on: no new decision until they finish. */
export const IN_FLIGHT_HOST_STATUSES: readonly HostStatus[] = ['capturing', 'applying', 'verifying'];

/** Hosts that count against `maxFailures`. */
export const FAILED_HOST_STATUSES: readonly HostStatus[] = ['failed', 'rolling_back', 'rolled_back', 'rollback_failed'];

/**
 * Whether a rollback must include the host: its apply may have run. A host that
 * failed while capturing was never changed, which only the stored rollback
 * commands (written just before apply) can tell apart from one that failed in
 * apply or verify; a rolled_back host has been undone already.
 */
export function hasChangedHost(host: { status: HostStatus; rollbackStored: boolean }): boolean {
  switch (host.status) {
    case 'applying':
    case 'verifying':
    case 'healthy':
    case 'rolling_back':
    case 'rollback_failed':
      return true;
    case 'capturing':
    case 'failed':
      return host.rollbackStored;
    case 'pending':
    case 'skipped':
    case 'rolled_back':
      return false;
  }
}
