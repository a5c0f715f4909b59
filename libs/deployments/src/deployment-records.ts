import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { HostEntity } from '@vulnzero/inventory';
import {
  CommandRecord,
  DeploymentEntity,
  DeploymentHostClaimEntity,
  DeploymentHostEntity,
  DeploymentStepEntity,
} from './deployment.entity';
import type { PlannedStep } from './core/canary-plan';
import { assertHostTransition, hostStatusesBefore, type HostStatus } from './core/host-state';
import { assertTransition, type DeploymentStatus } from './core/deployment-state';
import type { StepStatus } from './core/next-action';
import { assertStepTransition } from './core/step-state';
import { leaseHeld, returnedRows } from './fenced-sql';
import { HostRowCache } from './host-row-cache';
import { HostEnd, HostWriteBatches } from './host-write-batches';
import { currentLeaseHolder, FencedWriteError } from './lease-holder';

export type { HostEnd } from './host-write-batches';

export interface DeploymentRun {
  deployment: DeploymentEntity;
  steps: DeploymentStepEntity[];
  hosts: DeploymentHostEntity[];
}

type HostPatch = Partial<
  Pick<
    DeploymentHostEntity,
    'status' | 'exitCode' | 'error' | 'startedAt' | 'finishedAt' | 'rollbackStartedAt' | 'rollbackFinishedAt' | 'restartReport'
  >
>;

/**
 * The deployment's record in PostgreSQL. Every transition is written here
 * before the engine goes on, so another worker can resume from these rows
 * alone; the rollback commands of a host are committed before its apply.
 */
@Injectable()
export class DeploymentRecords {
  private readonly hostRows: HostRowCache;
  private readonly batches: HostWriteBatches;

  constructor(@InjectDataSource() private readonly db: DataSource) {
    this.hostRows = new HostRowCache(db);
    this.batches = new HostWriteBatches(db);
  }

  /** The deployment's rows; hosts' bounded command output only with `withOutput` (views, not the engine). */
  async load(deploymentId: string, options: { withOutput?: boolean } = {}): Promise<DeploymentRun | null> {
    const hostsQuery = this.db
      .getRepository(DeploymentHostEntity)
      .createQueryBuilder('h')
      .where('h.deployment_id = :deploymentId', { deploymentId })
      .orderBy('h.position', 'ASC');
    if (options.withOutput) hostsQuery.addSelect('h.output');
    // Side by side (the engine reads these on every decision): one round trip, not two.
    const [deployment, steps, hosts] = await Promise.all([
      this.db.getRepository(DeploymentEntity).findOneBy({ id: deploymentId }),
      this.db.getRepository(DeploymentStepEntity).find({ where: { deploymentId }, order: { index: 'ASC' } }),
      options.withOutput ? hostsQuery.getMany() : this.hostRows.load(deploymentId),
    ]);
    if (!deployment) return null;
    return { deployment, steps, hosts };
  }

  /**
   * A new deployment's steps and hosts (pending), in the transaction that
   * records it: each host pinned as it is now, with the address its name
   * resolved to (`resolved`, null when it did not).
   */
  async insertPlan(
    em: EntityManager,
    deploymentId: string,
    plan: PlannedStep[],
    pinned: HostEntity[],
    resolved: Map<string, string | null>,
  ): Promise<void> {
    const stepOf = new Map(plan.flatMap((step) => step.hostIds.map((id) => [id, step.index] as const)));
    await em.getRepository(DeploymentStepEntity).insert(
      plan.map((step) => ({
        deploymentId,
        index: step.index,
        size: step.cumulative,
        status: 'pending' as const,
        bakeUntil: null,
        promoted: false,
      })),
    );
    await em.getRepository(DeploymentHostEntity).insert(
      pinned.map((host, position) => ({
        deploymentId,
        hostId: host.id,
        position,
        hostName: host.name,
        address: host.address,
        resolvedAddress: resolved.get(host.address) ?? null,
        port: host.port,
        hostKey: host.hostKey,
        credentialId: host.credentialId,
        step: stepOf.get(host.id) as number,
        status: 'pending' as const,
        output: [],
      })),
    );
  }

  /** A write by the gateway (cancel requested, a failed enqueue): no worker drives the deployment through it. */
  async updateDeployment(id: string, patch: Partial<DeploymentEntity>): Promise<void> {
    await this.db.getRepository(DeploymentEntity).update({ id }, patch);
  }

  /**
   * The engine's write of a deployment's status (and what goes with it):
   * allowed by the transition table, and conditional in SQL on the status it
   * was read in and on this worker holding the lease. Throws FencedWriteError
   * when either no longer holds: nothing is written.
   */
  async transitionDeployment(
    id: string,
    from: DeploymentStatus,
    to: DeploymentStatus,
    patch: Partial<DeploymentEntity> = {},
  ): Promise<void> {
    if (from !== to) assertTransition(from, to);
    const result = await this.db
      .createQueryBuilder()
      .update(DeploymentEntity)
      .set({ ...patch, status: to })
      .where(`id = :id AND status = :from AND lease_owner = :owner AND lease_until > now()`, { id, from, owner: currentLeaseHolder() })
      .execute();
    if (!result.affected) throw new FencedWriteError(`deployment ${id} ${from} → ${to}`);
  }

  /** Fields of a deployment other than its status, written by the lease holder only. */
  async writeDeployment(id: string, patch: Partial<Omit<DeploymentEntity, 'status'>>): Promise<void> {
    const result = await this.db
      .createQueryBuilder()
      .update(DeploymentEntity)
      .set(patch)
      .where(`id = :id AND lease_owner = :owner AND lease_until > now()`, { id, owner: currentLeaseHolder() })
      .execute();
    if (!result.affected) throw new FencedWriteError(`deployment ${id}`);
  }

  /**
   * A step's status (and timings): allowed by the step transition table, and
   * conditional on the status it was read in and on this worker holding the lease.
   */
  async transitionStep(
    deploymentId: string,
    index: number,
    from: StepStatus,
    to: StepStatus,
    patch: Omit<Partial<DeploymentStepEntity>, 'status'> = {},
  ): Promise<void> {
    assertStepTransition(from, to);
    const result = await this.db
      .createQueryBuilder()
      .update(DeploymentStepEntity)
      .set({ ...patch, status: to })
      .where(`deployment_id = :deploymentId AND index = :index AND status = :from AND ${leaseHeld(':deploymentId', ':owner')}`, {
        deploymentId,
        index,
        from,
        owner: currentLeaseHolder(),
      })
      .execute();
    if (!result.affected) throw new FencedWriteError(`step ${index} of deployment ${deploymentId} ${from} → ${to}`);
  }

  /**
   * A host's status: `from` (the status the engine read) must be allowed to go
   * to `to` by the transition table, and the row must still be in it, with this
   * worker holding the lease, or nothing is written (FencedWriteError).
   */
  async transitionHost(
    deploymentId: string,
    hostId: string,
    from: HostStatus,
    to: HostStatus,
    patch: Omit<HostPatch, 'status'> = {},
  ): Promise<void> {
    await this.transitionHosts(deploymentId, [hostId], from, to, patch, true);
  }

  /** Why the engine left a host as it is (its status unchanged), written by the lease holder only. */
  async noteHostError(deploymentId: string, hostId: string, error: string): Promise<void> {
    const result = await this.db
      .createQueryBuilder()
      .update(DeploymentHostEntity)
      .set({ error })
      .where(`deployment_id = :deploymentId AND host_id = :hostId AND ${leaseHeld(':deploymentId', ':owner')}`, {
        deploymentId,
        hostId,
        owner: currentLeaseHolder(),
      })
      .execute();
    if (!result.affected) throw new FencedWriteError(`host ${hostId} of deployment ${deploymentId}`);
  }

  /** Many hosts from one status to another (e.g. pending → skipped); `strict`: every one must move. */
  async transitionHosts(
    deploymentId: string,
    hostIds: string[],
    from: HostStatus,
    to: HostStatus,
    patch: Omit<HostPatch, 'status'> = {},
    strict = false,
  ): Promise<void> {
    if (hostIds.length === 0) return;
    if (from !== to || !hostStatusesBefore(to).includes(from)) assertHostTransition(from, to);
    const result = await this.db
      .createQueryBuilder()
      .update(DeploymentHostEntity)
      .set({ ...patch, status: to })
      .where(`deployment_id = :deploymentId AND host_id IN (:...hostIds) AND status = :from AND ${leaseHeld(':deploymentId', ':owner')}`, {
        deploymentId,
        hostIds,
        from,
        owner: currentLeaseHolder(),
      })
      .execute();
    if (strict && (result.affected ?? 0) < hostIds.length) {
      throw new FencedWriteError(`host ${hostIds.join(', ')} of deployment ${deploymentId} ${from} → ${to}`);
    }
  }

  /**
   * Write-ahead: the rendered rollback of a host, committed before anything
   * changes it, in the same statement that records the host as `applying`
   * (see HostWriteBatches).
   */
  storeRollback(deploymentId: string, hostId: string, captured: Record<string, string>, commands: string[]): Promise<void> {
    return this.batches.storeRollback(deploymentId, hostId, captured, commands);
  }

  /** A host's move to `verifying`, written while its verify already runs. */
  markVerifying(deploymentId: string, hostId: string): Promise<void> {
    return this.batches.markVerifying(deploymentId, hostId);
  }

  /** A host's last transition and the output of its commands, in one statement; resolves once committed. */
  finishHost(deploymentId: string, hostId: string, output: CommandRecord[], end: HostEnd): Promise<void> {
    return this.batches.finishHost(deploymentId, hostId, output, end);
  }

  /**
   * Moves hosts from pending to capturing, and returns the ones this call
   * moved: a host already started by another run of this deployment is never
   * started twice.
   */
  async startHosts(deploymentId: string, hostIds: string[]): Promise<string[]> {
    if (hostIds.length === 0) return [];
    const rows = returnedRows<{ host_id: string }>(
      await this.db.query(
        `UPDATE deployment_hosts SET status = 'capturing', started_at = now()
         WHERE deployment_id = $1 AND host_id = ANY($2::uuid[]) AND status = 'pending' AND ${leaseHeld('$1', '$3')}
         RETURNING host_id`,
        [deploymentId, hostIds, currentLeaseHolder()],
      ),
    );
    return rows.map((r) => r.host_id);
  }

  async appendOutput(deploymentId: string, hostId: string, records: CommandRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.db.query(
      `UPDATE deployment_hosts SET output = output || $3::jsonb WHERE deployment_id = $1 AND host_id = $2 AND ${leaseHeld('$1', '$4')}`,
      [deploymentId, hostId, JSON.stringify(records), currentLeaseHolder()],
    );
  }

  /** The output of many hosts' commands (a step's health re-check) in one statement. */
  async appendOutputs(deploymentId: string, outputs: { hostId: string; records: CommandRecord[] }[]): Promise<void> {
    const rows = outputs.filter((o) => o.records.length > 0);
    if (rows.length === 0) return;
    await this.db.query(
      `UPDATE deployment_hosts AS h SET output = h.output || v.records
       FROM (SELECT unnest($2::uuid[]) AS host_id, unnest($3::jsonb[]) AS records) AS v
       WHERE h.deployment_id = $1 AND h.host_id = v.host_id AND ${leaseHeld('$1', '$4')}`,
      [deploymentId, rows.map((o) => o.hostId), rows.map((o) => JSON.stringify(o.records)), currentLeaseHolder()],
    );
  }

  /** A host leaves its claim when the deployment that held it ends. */
  async releaseClaims(deploymentId: string): Promise<void> {
    await this.db.getRepository(DeploymentHostClaimEntity).delete({ deploymentId });
  }
}
