import { Global, Injectable, Module } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { HostHold, HostHolds } from '@vulnzero/inventory';
import { TERMINAL_DEPLOYMENT_STATUSES } from './core/deployment-state';

/**
 * Which deployment holds a host: a claim (taken when the deployment is
 * created, and again for an operator's rollback of a finished one) by a
 * deployment that has not ended. A claim a deployment left behind after it
 * ended holds nothing.
 */
@Injectable()
export class HostClaims extends HostHolds {
  async holdOnHost(em: EntityManager, hostId: string): Promise<HostHold | null> {
    const rows: { id: string; status: string }[] = await em.query(
      `SELECT d.id, d.status FROM deployment_host_claims c JOIN deployments d ON d.id = c.deployment_id
       WHERE c.host_id = $1 AND d.status <> ALL($2::text[])`,
      [hostId, TERMINAL_DEPLOYMENT_STATUSES],
    );
    return holdOf(rows);
  }

  /** A deployment holds a credential when one of the hosts it holds was pinned with it. */
  async holdOnCredential(em: EntityManager, credentialId: string): Promise<HostHold | null> {
    const rows: { id: string; status: string }[] = await em.query(
      `SELECT d.id, d.status FROM deployment_host_claims c
       JOIN deployment_hosts h ON h.deployment_id = c.deployment_id AND h.host_id = c.host_id
       JOIN deployments d ON d.id = c.deployment_id
       WHERE h.credential_id = $1 AND d.status <> ALL($2::text[])
       ORDER BY d.created_at LIMIT 1`,
      [credentialId, TERMINAL_DEPLOYMENT_STATUSES],
    );
    return holdOf(rows);
  }
}

function holdOf(rows: { id: string; status: string }[]): HostHold | null {
  const row = rows[0];
  return row ? { deploymentId: row.id, deploymentStatus: row.status } : null;
}

/**
 * Provides the inventory's `HostHolds` port to every module of a process
 * (gateway, worker): the inventory refuses to move a host a deployment holds.
 */
@Global()
@Module({ providers: [HostClaims, { provide: HostHolds, useExisting: HostClaims }], exports: [HostHolds] })
export class HostClaimsModule {}
