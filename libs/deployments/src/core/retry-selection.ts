import type { DeploymentStatus } from './deployment-state';
import type { HostStatus } from './host-state';

/** Deployments that ended without patching every host, so a retry makes sense. */
export const RETRYABLE_DEPLOYMENT_STATUSES: readonly DeploymentStatus[] = ['failed', 'rolled_back', 'cancelled'];

/**
 * Hosts a retry patches again: those that failed, were rolled back, or never
 * started (`pending`, `skipped`). A `healthy` host is left alone; a
 * `rollback_failed` host is in an unknown state and needs an operator, not
 * another apply, so it is left out too.
 */
export const RETRYABLE_HOST_STATUSES: readonly HostStatus[] = ['failed', 'rolled_back', 'pending', 'skipped'];

export function hostsToRetry(hosts: readonly { hostId: string; status: HostStatus }[]): string[] {
  return hosts.filter((h) => RETRYABLE_HOST_STATUSES.includes(h.status)).map((h) => h.hostId);
}
