import { judgeVerify, type VerifyRun } from './verify-verdict';
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

/**
 * Whether a host still holds the change before its rollback is retried: only
 * a verify that ran to completion and exited 0 says so. Any other outcome
 * (the change is gone, or verify could not tell) leaves the host as it is,
 * with the reason; `null` is a patch without verify, which cannot tell.
 */
export function verifyStillHolds(run: VerifyRun | null, timeoutSeconds: number): { holds: true } | { holds: false; reason: string } {
  if (run === null) return { holds: false, reason: 'the patch has no verify: cannot tell the change is still on the host' };
  // One reading of what a verify proves (core/verify-verdict), here asked the other way round.
  const verdict = judgeVerify(run, timeoutSeconds);
  switch (verdict.kind) {
    case 'present':
      return { holds: true };
    case 'absent':
      return { holds: false, reason: `verify no longer passes (exit ${verdict.exitCode}): the change is not on the host any more` };
    case 'unknown':
      return { holds: false, reason: `${verdict.reason}: cannot tell the change is still on the host` };
  }
}
