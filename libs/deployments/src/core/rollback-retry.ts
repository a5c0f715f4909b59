import { HostSnapshot, rollbackOrder } from './next-action';

/** A host a retried rollback leaves alone, and why (`POST /deployments/:id/rollback` names them). */
export interface SkippedHost {
  hostId: string;
  hostName: string;
  reason: string;
}

export interface RollbackRetrySelection {
  /** In rollback order (newest change first). */
  hostIds: string[];
  skipped: SkippedHost[];
}

/**
 * The hosts a second rollback of a `rollback_failed` deployment retries:
 * those not rolled back yet whose change is still this deployment's. A host
 * a later deployment has targeted since (`laterDeployments`: host id → that
 * deployment's id) may carry its change now, so undoing ours blindly could
 * break it: skipped, naming that deployment. The worker then checks each
 * retried host's `verify` before it rolls it back (see `verifyStillHolds`).
 *
 * Example: A rolled back, B and C rollback_failed, C since patched by
 * deployment D → retry B; skip C ("deployment D …").
 */
export function selectRollbackRetry(
  hosts: readonly (HostSnapshot & { hostName: string })[],
  laterDeployments: ReadonlyMap<string, string>,
): RollbackRetrySelection {
  const names = new Map(hosts.map((h) => [h.hostId, h.hostName]));
  const selection: RollbackRetrySelection = { hostIds: [], skipped: [] };
  for (const hostId of rollbackOrder([...hosts])) {
    const later = laterDeployments.get(hostId);
    if (later) {
      selection.skipped.push({
        hostId,
        hostName: names.get(hostId) ?? hostId,
        reason: `deployment ${later} has targeted the host since: the change there may no longer be this deployment's`,
      });
    } else {
      selection.hostIds.push(hostId);
    }
  }
  return selection;
}

/** How a `verify` run ended, as recorded. */
export interface VerifyRun {
  exitCode: number | null;
  timedOut: boolean;
}

/**
 * Whether a host still holds the change before its rollback is retried: only
 * a verify that ran to completion and exited 0 says so. Any other outcome
 * (the change is gone, or verify could not tell) leaves the host as it is,
 * with the reason; `null` is a patch without verify, which cannot tell.
 */
export function verifyStillHolds(run: VerifyRun | null, timeoutSeconds: number): { holds: true } | { holds: false; reason: string } {
  if (run === null) return { holds: false, reason: 'the patch has no verify: cannot tell the change is still on the host' };
  if (run.timedOut) return { holds: false, reason: `verify did not finish in ${timeoutSeconds} s: cannot tell the change is still on the host` };
  const code = run.exitCode;
  if (code === 0) return { holds: true };
  if (code === null) return { holds: false, reason: 'verify did not finish (no exit status): cannot tell the change is still on the host' };
  if (code >= 1 && code <= 125) return { holds: false, reason: `verify no longer passes (exit ${code}): the change is not on the host any more` };
  if (code === 126 || code === 127) return { holds: false, reason: `verify could not run (exit ${code}): cannot tell the change is still on the host` };
  if (code === 255) return { holds: false, reason: 'verify lost its connection (exit 255): cannot tell the change is still on the host' };
  return { holds: false, reason: `verify was stopped (exit ${code}): cannot tell the change is still on the host` };
}
