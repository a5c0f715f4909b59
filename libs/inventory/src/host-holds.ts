import type { EntityManager } from 'typeorm';

/** A deployment under way that pinned a host's connection details (or a credential) when it started. */
export interface HostHold {
  deploymentId: string;
  deploymentStatus: string;
}

/**
 * The port through which the inventory learns that a host (or a credential)
 * is held: a deployment under way pinned its address, port, host key and
 * credential and will connect with them until it ends, so they must not change
 * underneath it. Implemented where deployments live (`HostClaims` in
 * @vulnzero/deployments); the inventory knows nothing else about them.
 *
 * Both queries run in the caller's transaction, after it locked the host row
 * it is about to change: a deployment being created locks its targets too, so
 * either it pins the change or the change sees its claim.
 */
export abstract class HostHolds {
  abstract holdOnHost(em: EntityManager, hostId: string): Promise<HostHold | null>;
  abstract holdOnCredential(em: EntityManager, credentialId: string): Promise<HostHold | null>;
}
