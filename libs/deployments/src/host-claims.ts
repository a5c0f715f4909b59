import { Global, Injectable, Module } from '@nestjs/common';
import { In, type EntityManager } from 'typeorm';
import { ConflictError } from '@vulnzero/http';
import { HostEntity, HostHold, HostHolds } from '@vulnzero/inventory';
import { TERMINAL_DEPLOYMENT_STATUSES } from './core/deployment-state';

/**
 * Which deployment holds a host: a claim (taken when the deployment is
 * created, and again for an operator's rollback of a finished one) by a
 * deployment that has not ended. A claim a deployment left behind after it
 * ended holds nothing. Every query runs in the caller's transaction (`em`).
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

  /** Takes every host for this deployment or none: 409 names the hosts another deployment holds. */
  async claim(em: EntityManager, deploymentId: string, hostIds: string[], names: Map<string, string>): Promise<void> {
    const taken: { host_id: string }[] = await em.query(
      `INSERT INTO deployment_host_claims (host_id, deployment_id)
       SELECT unnest($1::uuid[]), $2
       ON CONFLICT (host_id) DO NOTHING
       RETURNING host_id`,
      [hostIds, deploymentId],
    );
    if (taken.length === hostIds.length) return;
    const got = new Set(taken.map((r) => r.host_id));
    const busy = hostIds.filter((h) => !got.has(h));
    const holders: { host_id: string; deployment_id: string }[] = await em.query(
      `SELECT host_id, deployment_id FROM deployment_host_claims WHERE host_id = ANY($1::uuid[])`,
      [busy],
    );
    throw new ConflictError(`hosts already in a running deployment: ${busy.map((h) => names.get(h) ?? h).join(', ')}`, {
      hosts: holders.map((r) => ({ hostId: r.host_id, hostName: names.get(r.host_id), deploymentId: r.deployment_id })),
    });
  }

  /** Of `hostIds`, those with a claim: host id → the deployment that claimed it (a dry run's view). */
  async claimedBy(em: EntityManager, hostIds: string[]): Promise<Map<string, string>> {
    const claims: { host_id: string; deployment_id: string }[] = await em.query(
      `SELECT host_id, deployment_id FROM deployment_host_claims WHERE host_id = ANY($1::uuid[])`,
      [hostIds],
    );
    return new Map(claims.map((r) => [r.host_id, r.deployment_id]));
  }

  /**
   * The targets as they are now, locked until the deployment's transaction
   * commits: what it pins. A change of the inventory waits for the lock and
   * then finds the deployment's claims (409); a change that came first is
   * what gets pinned, unless it moved a host after its address was resolved.
   */
  async lockTargets(em: EntityManager, targets: HostEntity[]): Promise<HostEntity[]> {
    const rows = await em
      .getRepository(HostEntity)
      .find({ where: { id: In(targets.map((h) => h.id)) }, lock: { mode: 'pessimistic_read' } });
    const byId = new Map(rows.map((h) => [h.id, h]));
    return targets.map((target) => {
      const now = byId.get(target.id);
      if (!now) throw new ConflictError(`host ${target.name} was deleted while the deployment was being created`, { hostId: target.id });
      if (now.address !== target.address) {
        throw new ConflictError(`host ${target.name} moved while the deployment was being created: try again`, { hostId: target.id });
      }
      return now;
    });
  }

  /** Of `hostIds`, those a deployment created after `deploymentId` has targeted since: host id → the latest such deployment. */
  async laterDeployments(em: EntityManager, deploymentId: string, hostIds: string[]): Promise<Map<string, string>> {
    if (hostIds.length === 0) return new Map();
    const rows: { host_id: string; deployment_id: string }[] = await em.query(
      `SELECT DISTINCT ON (dh.host_id) dh.host_id, dh.deployment_id
       FROM deployment_hosts dh JOIN deployments d ON d.id = dh.deployment_id
       WHERE dh.host_id = ANY($2::uuid[]) AND dh.deployment_id <> $1
         AND d.created_at > (SELECT created_at FROM deployments WHERE id = $1)
       ORDER BY dh.host_id, d.created_at DESC`,
      [deploymentId, hostIds],
    );
    return new Map(rows.map((r) => [r.host_id, r.deployment_id]));
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
