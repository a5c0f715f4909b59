import { isActive, type DeploymentStatus } from './deployment-state';
import { hasChangedHost, IN_FLIGHT_HOST_STATUSES } from './host-state';
import type { HostStatus } from './host-state';

/** Which job of the deployment was given up: its run (deploy) or a rollback. */
export type GivenUpJob = 'deploy' | 'rollback';

export interface GiveUpHost {
  hostId: string;
  hostName: string;
  status: HostStatus;
  /** Its rollback was stored (write-ahead): apply may have run. */
  rollbackStored: boolean;
}

/** How a deployment whose job failed for good (or was lost too often) ends. */
export interface GiveUpPlan {
  /** The statuses it goes through, in order, each an allowed transition; empty when it already has its final one. */
  transitions: DeploymentStatus[];
  final: 'failed' | 'rollback_failed';
  /** Hosts left mid-way, with the status and reason they end with. */
  hosts: { hostId: string; from: HostStatus; status: HostStatus; error: string | null }[];
  error: { code: string; message: string; hosts?: string[] };
}

/**
 * The end of a deployment nobody drives any more (docs/api.md#deployments: it never stays
 * non-terminal after its job failed for good), or null when there is nothing
 * to end. Nothing runs on a host: the record says what is known.
 * - The deploy job of a pending, running or paused deployment: `failed` with
 *   the reason; hosts not started are `skipped`; a host in flight is `failed`
 *   (its state is unknown once apply may have run; an operator can roll back).
 * - A rollback that was under way (the deploy job's automatic one, or a
 *   rollback job), or a rollback job that never started: `rollback_failed`,
 *   naming every changed host not rolled back; a host mid-rollback is
 *   `rollback_failed`. It can be rolled back again.
 * - Anything else (already finished, or a rollback job of a deployment that
 *   is still running): null.
 */
export function giveUpPlan(
  deployment: { status: DeploymentStatus; hosts: readonly GiveUpHost[] },
  job: GivenUpJob,
  reason: { code: string; message: string },
): GiveUpPlan | null {
  const { status, hosts } = deployment;
  const deployEnds = job === 'deploy' && isActive(status);
  if (deployEnds) {
    return {
      transitions: ['failed'],
      final: 'failed',
      hosts: hosts.flatMap((h): GiveUpPlan['hosts'] => {
        if (h.status === 'pending') return [{ hostId: h.hostId, from: h.status, status: 'skipped' as const, error: null }];
        if (!IN_FLIGHT_HOST_STATUSES.includes(h.status)) return [];
        const state = h.rollbackStored ? 'apply may have run, its state is unknown' : 'before apply, the host was not changed';
        return [
          {
            hostId: h.hostId,
            from: h.status,
            status: 'failed' as const,
            error: `${reason.message} while the host was ${h.status} (${state})`,
          },
        ];
      }),
      error: reason,
    };
  }
  const rollbackEnds =
    status === 'rolling_back' || (job === 'rollback' && ['succeeded', 'failed', 'cancelled', 'paused', 'rollback_failed'].includes(status));
  if (!rollbackEnds) return null;
  const hostEnds = hosts
    .filter((h) => h.status === 'rolling_back')
    .map((h) => ({
      hostId: h.hostId,
      from: h.status,
      status: 'rollback_failed' as const,
      error: `rollback: did not finish: ${reason.message}`,
    }));
  const notRolledBack = hosts.filter((h) => h.status !== 'rolled_back' && hasChangedHost(h)).map((h) => h.hostName);
  return {
    transitions: status === 'rolling_back' ? ['rollback_failed'] : status === 'rollback_failed' ? [] : ['rolling_back', 'rollback_failed'],
    final: 'rollback_failed',
    hosts: hostEnds,
    error: {
      code: reason.code,
      message: `the rollback did not finish: ${reason.message}${notRolledBack.length > 0 ? `; not rolled back: ${notRolledBack.join(', ')}` : ''}`,
      hosts: notRolledBack,
    },
  };
}
