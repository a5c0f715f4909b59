import { failureBudget, shouldAbort } from './canary-plan';
import type { DeploymentStatus } from './deployment-state';
import { FAILED_HOST_STATUSES, hasChangedHost, IN_FLIGHT_HOST_STATUSES } from './host-state';
import type { HostStatus } from './host-state';
import { DeploymentSchedule, ScheduleHold, startGate } from './maintenance-window';
import type { Strategy } from './strategy';

/**
 * A step's life: pending → running → baking → checking → succeeded | failed;
 * a deployment that ends before a step is checked closes it (see `closeSteps`):
 * aborted if it had started, skipped if it never did.
 */
export type StepStatus = 'pending' | 'running' | 'baking' | 'checking' | 'succeeded' | 'failed' | 'aborted' | 'skipped';

/** One planned step as stored on its row. */
export interface StepSnapshot {
  index: number;
  /** succeeded/failed mean the step's post-bake health check has been recorded. */
  status: StepStatus;
  /** Epoch ms the bake ends; set (by the caller, from a `bake` action) once. */
  bakeUntil?: number;
  /** An operator passed the `pauseAfterStep` gate after this step. */
  promoted?: boolean;
}

/** One target host as stored on its row. */
export interface HostSnapshot {
  hostId: string;
  /** The planned step the host belongs to. */
  step: number;
  status: HostStatus;
  /** Its rendered rollback was stored (write-ahead, just before apply). */
  rollbackStored: boolean;
  startedAt?: number;
  finishedAt?: number;
}

/**
 * Everything the engine decides from, rebuilt from the database rows. Nothing
 * here is derived: the current step, failure count and budget are computed
 * from it, so they can never disagree with the rows.
 */
export interface DeploymentSnapshot {
  status: DeploymentStatus;
  strategy: Strategy;
  /** The plan's steps, by index (empty steps included, see `planSteps`). */
  steps: StepSnapshot[];
  /** Every target, in target order (the order hosts start in). */
  hosts: HostSnapshot[];
  /** `POST /deployments/:id/cancel` was called. */
  cancelRequested: boolean;
  /** `notBefore` and the maintenance window: no host starts outside them. */
  schedule?: DeploymentSchedule;
}

/**
 * The engine's next move. The processor performs only the I/O it names,
 * persists the outcome, and asks again:
 * - startHosts: run these hosts (currentStep = step, step running, and the
 *   deployment running, also when it comes from pending or a promoted pause);
 * - wait: hosts are in flight, ask again when one finishes;
 * - bake: store `until` as the step's bakeUntil if unset, ask again then;
 * - checkHealth: check these hosts, mark failures, then the step succeeded/failed;
 * - pause: status paused until promote sets the step's `promoted`;
 * - hold: no host may start before `until` (`notBefore`, or the maintenance
 *   window is closed) and none is in flight: status paused with `reason`, and
 *   ask again at `until`;
 * - rollback: status rolling_back, mark `skippedHostIds` skipped, enqueue the
 *   rollback task for `hostIds` in that order;
 * - complete: final status, mark `skippedHostIds` skipped;
 * - none: the deploy run is over or handed to a rollback; nothing to do.
 */
export type Action =
  | { kind: 'startHosts'; step: number; hostIds: string[] }
  | { kind: 'wait' }
  | { kind: 'bake'; step: number; until: number }
  | { kind: 'checkHealth'; step: number; hostIds: string[] }
  | { kind: 'pause'; step: number }
  | { kind: 'hold'; reason: ScheduleHold; until: number }
  | { kind: 'rollback'; hostIds: string[]; skippedHostIds: string[]; reason: string }
  | {
      kind: 'complete';
      status: 'succeeded' | 'failed' | 'cancelled';
      skippedHostIds: string[];
      /** Why it failed, when no host failure explains it. */
      error?: { code: string; message: string };
    }
  | { kind: 'none' };

const ACTIVE: ReadonlySet<DeploymentStatus> = new Set<DeploymentStatus>(['pending', 'running', 'paused']);

/**
 * Decides the next move from the snapshot and the clock (docs/api.md#deployments). In order:
 * 1. failures exceed the budget → start nothing, let in-flight hosts finish,
 *    then roll back every changed host (newest first) or end failed;
 * 2. cancel requested → start nothing, let in-flight hosts finish, end cancelled;
 * 3. otherwise walk the steps: fill free slots (maxParallel minus in flight)
 *    with the step's pending hosts, then bake, then check every host patched
 *    so far, then pause at a gate or go on, and succeed after the last step.
 *    A host starts only inside the schedule (`notBefore`, the window): outside
 *    it, hosts in flight finish and are checked as usual, then the deployment
 *    holds until the next opening; a window that never opens again ends it
 *    failed (`window_expired`) with the hosts not started skipped.
 */
export function nextAction(snapshot: DeploymentSnapshot, now: number): Action {
  if (!ACTIVE.has(snapshot.status)) return { kind: 'none' };

  const { strategy, hosts, steps } = snapshot;
  const inFlight = hosts.filter((h) => IN_FLIGHT_HOST_STATUSES.includes(h.status)).length;
  const pendingIds = () => hosts.filter((h) => h.status === 'pending').map((h) => h.hostId);

  const failed = hosts.filter((h) => FAILED_HOST_STATUSES.includes(h.status)).length;
  const budget = failureBudget(strategy.maxFailures, hosts.length);
  if (shouldAbort(failed, budget)) {
    if (inFlight > 0) return { kind: 'wait' };
    const changed = newestFirst(hosts.filter(hasChangedHost)).map((h) => h.hostId);
    // Nothing changed (e.g. the first host failed while capturing): there is
    // nothing to undo, and "rolled_back" would claim otherwise.
    if (!strategy.autoRollback || changed.length === 0) {
      return { kind: 'complete', status: 'failed', skippedHostIds: pendingIds() };
    }
    return {
      kind: 'rollback',
      hostIds: changed,
      skippedHostIds: pendingIds(),
      reason: `${failed} host(s) failed, more than maxFailures allows (${budget})`,
    };
  }

  if (snapshot.cancelRequested) {
    if (inFlight > 0) return { kind: 'wait' };
    return { kind: 'complete', status: 'cancelled', skippedHostIds: pendingIds() };
  }

  for (const step of steps) {
    const stepHosts = hosts.filter((h) => h.step === step.index);
    const waiting = stepHosts.filter((h) => h.status === 'pending');
    const free = strategy.maxParallel - inFlight;
    if (waiting.length > 0 && free > 0) {
      const gate = startGate(snapshot.schedule ?? {}, now);
      if (!gate.open) {
        if (inFlight > 0) return { kind: 'wait' };
        if (gate.until === null) {
          return {
            kind: 'complete',
            status: 'failed',
            skippedHostIds: pendingIds(),
            error: {
              code: 'window_expired',
              message: 'the maintenance window closed and never opens again; the hosts not started were skipped',
            },
          };
        }
        return { kind: 'hold', reason: gate.reason, until: gate.until };
      }
      return {
        kind: 'startHosts',
        step: step.index,
        hostIds: waiting.slice(0, free).map((h) => h.hostId),
      };
    }
    if (waiting.length > 0 || inFlight > 0) return { kind: 'wait' };

    // An empty step patched nothing new: baking or re-checking would only
    // repeat the previous step's.
    const checked = step.status === 'succeeded' || step.status === 'failed';
    if (stepHosts.length > 0 && !checked) {
      const until = step.bakeUntil ?? now + strategy.bakeSeconds * 1000;
      if (strategy.bakeSeconds > 0 && now < until) return { kind: 'bake', step: step.index, until };
      return {
        kind: 'checkHealth',
        step: step.index,
        hostIds: hosts.filter((h) => h.step <= step.index && h.status === 'healthy').map((h) => h.hostId),
      };
    }

    const isLast = step.index === steps.length - 1;
    if (!isLast && strategy.pauseAfterStep.includes(step.index) && !step.promoted) {
      return { kind: 'pause', step: step.index };
    }
  }
  return { kind: 'complete', status: 'succeeded', skippedHostIds: pendingIds() };
}

/** The hosts a rollback must undo (every changed host not yet rolled back), newest change first. */
export function rollbackOrder(hosts: HostSnapshot[]): string[] {
  return newestFirst(hosts.filter((h) => hasChangedHost(h) && h.status !== 'rolled_back')).map((h) => h.hostId);
}

/** Rollback order: the last host changed is the first undone. */
function newestFirst(hosts: HostSnapshot[]): HostSnapshot[] {
  return hosts
    .map((host, position) => ({ host, position }))
    .sort(
      (a, b) =>
        changedAt(b.host) - changedAt(a.host) ||
        b.host.step - a.host.step ||
        // Same instant: the later in target order started later.
        b.position - a.position,
    )
    .map(({ host }) => host);
}

function changedAt(host: HostSnapshot): number {
  return host.finishedAt ?? host.startedAt ?? Number.NEGATIVE_INFINITY;
}
