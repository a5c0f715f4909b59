import type { HostRestartReports } from './core/restart-report';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { WriteBatcher } from '@vulnzero/database';
import {
  CommandRecord,
  DeploymentEntity,
  DeploymentHostClaimEntity,
  DeploymentHostEntity,
  DeploymentStepEntity,
} from './deployment.entity';
import { scheduleOf } from './core/maintenance-window';
import type { DeploymentSnapshot } from './core/next-action';
import { assertHostTransition, hostStatusesBefore, type HostStatus } from './core/host-state';
import { assertTransition, type DeploymentStatus } from './core/deployment-state';
import type { StepStatus } from './core/next-action';
import { assertStepTransition } from './core/step-state';
import { currentLeaseHolder, FencedWriteError } from './lease-holder';

/**
 * SQL: this process holds the deployment's lease. Part of every status write
 * the engine makes, so a worker that lost its lease writes nothing. `margin`
 * (ms) asks for the lease to stay held that much longer: a host is told to go
 * on only well inside it.
 */
function leaseHeld(deploymentIdSql: string, ownerParam: string, margin = 0): string {
  return `EXISTS (SELECT 1 FROM deployments d WHERE d.id = ${deploymentIdSql} AND d.lease_owner = ${ownerParam}
          AND d.lease_until > now() + (${margin}::int * interval '1 millisecond'))`;
}

/** How much of its lease a worker must still hold when it commits a host's write-ahead (the host applies right after). */
const WRITE_AHEAD_LEASE_MARGIN_MS = 1000;

/** TypeORM answers `UPDATE … RETURNING` on PostgreSQL with `[rows, rowCount]`, an INSERT or SELECT with the rows. */
function returnedRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return result as T[];
}

/** A deployment_hosts row as the driver returns it (jsonb parsed, timestamps as Dates). */
interface HostRow {
  deployment_id: string;
  host_id: string;
  position: number;
  host_name: string;
  address: string;
  resolved_address: string | null;
  port: number;
  host_key: string | null;
  credential_id: string | null;
  step: number;
  status: DeploymentHostEntity['status'];
  exit_code: number | null;
  captured: Record<string, string> | null;
  rollback_commands: string[] | null;
  rollback_stored_at: Date | null;
  error: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  rollback_started_at: Date | null;
  rollback_finished_at: Date | null;
  /** xmin: changes with every committed update of the row. */
  version: string;
}

function hostOfRow(row: HostRow): DeploymentHostEntity {
  return Object.assign(new DeploymentHostEntity(), {
    deploymentId: row.deployment_id,
    hostId: row.host_id,
    position: row.position,
    hostName: row.host_name,
    address: row.address,
    resolvedAddress: row.resolved_address,
    port: row.port,
    hostKey: row.host_key,
    credentialId: row.credential_id,
    step: row.step,
    status: row.status,
    exitCode: row.exit_code,
    captured: row.captured,
    rollbackCommands: row.rollback_commands,
    rollbackStoredAt: row.rollback_stored_at,
    error: row.error,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    rollbackStartedAt: row.rollback_started_at,
    rollbackFinishedAt: row.rollback_finished_at,
  });
}

/** The last transition of a host that ran: its final status, exit code, error and end time. */
export interface HostEnd {
  status: HostStatus;
  exitCode: number | null;
  error: string | null;
  finishedAt: Date;
  /** Merged into the host's reports (the package patch's report after apply). */
  restartReport?: HostRestartReports;
}

const hostKey = (item: { deploymentId: string; hostId: string }) => `${item.deploymentId}/${item.hostId}`;

/** Per batched item, null when its row was updated, else an error naming the host. */
function missingRows(items: { deploymentId: string; hostId: string }[], rows: { deployment_id: string; host_id: string }[], what: string): (Error | null)[] {
  const updated = new Set(rows.map((r) => hostKey({ deploymentId: r.deployment_id, hostId: r.host_id })));
  return items.map((i) => (updated.has(hostKey(i)) ? null : new Error(`${what} ${i.hostId}`)));
}

interface StoredRollback {
  deploymentId: string;
  hostId: string;
  captured: Record<string, string>;
  commands: string[];
  owner: string;
}

/** Hosts of a deployment as last read, with each row's version (xmin), in target order. */
interface HostCacheEntry {
  versions: string[];
  hosts: DeploymentHostEntity[];
}

/** Deployments whose hosts this process keeps (a worker drives a few at a time). */
const HOST_CACHE_DEPLOYMENTS = 16;

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
  private readonly hostCache = new Map<string, HostCacheEntry>();

  constructor(@InjectDataSource() private readonly db: DataSource) {}

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
      options.withOutput ? hostsQuery.getMany() : this.loadHosts(deploymentId),
    ]);
    if (!deployment) return null;
    return { deployment, steps, hosts };
  }

  /**
   * The hosts without their output, in target order. The engine reads them on
   * every decision (every host that finishes), so a thousand-host deployment
   * would parse a thousand rows a thousand times: instead one short statement
   * reads every row's version (`xmin`, new with every committed UPDATE), and
   * only rows whose version changed since this process last read them are
   * fetched again. Callers get their own copies, free to change.
   */
  private async loadHosts(deploymentId: string): Promise<DeploymentHostEntity[]> {
    const cached = this.hostCache.get(deploymentId);
    const [{ versions }] = (await this.db.query(
      `SELECT coalesce(string_agg(xmin::text, ',' ORDER BY position, host_id), '') AS versions
       FROM deployment_hosts WHERE deployment_id = $1`,
      [deploymentId],
    )) as [{ versions: string }];
    const current = versions === '' ? [] : versions.split(',');
    let entry: HostCacheEntry;
    if (!cached || cached.versions.length !== current.length) {
      const rows = await this.fetchHostRows('deployment_id = $1', [deploymentId]);
      entry = { versions: rows.map((r) => r.version), hosts: rows.map(hostOfRow) };
    } else {
      const changed = current.flatMap((version, i) => (version === cached.versions[i] ? [] : [i]));
      entry = { versions: [...cached.versions], hosts: [...cached.hosts] };
      if (changed.length > 0) {
        const ids = changed.map((i) => (cached.hosts[i] as DeploymentHostEntity).hostId);
        const rows = new Map((await this.fetchHostRows('deployment_id = $1 AND host_id = ANY($2::uuid[])', [deploymentId, ids])).map((r) => [r.host_id, r]));
        for (const i of changed) {
          const row = rows.get((cached.hosts[i] as DeploymentHostEntity).hostId);
          if (!row) return this.reloadHosts(deploymentId); // gone meanwhile: start over
          entry.versions[i] = row.version;
          entry.hosts[i] = hostOfRow(row);
        }
      }
    }
    this.hostCache.delete(deploymentId);
    this.hostCache.set(deploymentId, entry);
    while (this.hostCache.size > HOST_CACHE_DEPLOYMENTS) this.hostCache.delete(this.hostCache.keys().next().value as string);
    return entry.hosts.map((h) => Object.assign(new DeploymentHostEntity(), h));
  }

  private reloadHosts(deploymentId: string): Promise<DeploymentHostEntity[]> {
    this.hostCache.delete(deploymentId);
    return this.loadHosts(deploymentId);
  }

  private async fetchHostRows(where: string, params: unknown[]): Promise<HostRow[]> {
    return (await this.db.query(
      `SELECT deployment_id, host_id, position, host_name, address, resolved_address, port, host_key, credential_id, step, status, exit_code, captured,
              rollback_commands, rollback_stored_at, error, started_at, finished_at, rollback_started_at, rollback_finished_at,
              xmin::text AS version
       FROM deployment_hosts WHERE ${where} ORDER BY position, host_id`,
      params,
    )) as HostRow[];
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
  async transitionDeployment(id: string, from: DeploymentStatus, to: DeploymentStatus, patch: Partial<DeploymentEntity> = {}): Promise<void> {
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
  async transitionHost(deploymentId: string, hostId: string, from: HostStatus, to: HostStatus, patch: Omit<HostPatch, 'status'> = {}): Promise<void> {
    await this.transitionHosts(deploymentId, [hostId], from, to, patch, true);
  }

  /** Why the engine left a host as it is (its status unchanged), written by the lease holder only. */
  async noteHostError(deploymentId: string, hostId: string, error: string): Promise<void> {
    const result = await this.db
      .createQueryBuilder()
      .update(DeploymentHostEntity)
      .set({ error })
      .where(`deployment_id = :deploymentId AND host_id = :hostId AND ${leaseHeld(':deploymentId', ':owner')}`, { deploymentId, hostId, owner: currentLeaseHolder() })
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
   * A host's last transition and the output of its commands, in one statement;
   * resolves once committed. Hosts finishing together share a statement.
   */
  finishHost(deploymentId: string, hostId: string, output: CommandRecord[], end: HostEnd): Promise<void> {
    return this.finishWrites.write({ deploymentId, hostId, output, end, owner: currentLeaseHolder() });
  }

  private readonly finishWrites = new WriteBatcher<{ deploymentId: string; hostId: string; output: CommandRecord[]; end: HostEnd; owner: string }>(async (items) => {
    const rows = returnedRows<{ deployment_id: string; host_id: string }>(
      await this.db.query(
        `UPDATE deployment_hosts AS h
         SET status = v.status, exit_code = v.exit_code, error = v.error, finished_at = v.finished_at, output = h.output || v.output,
             restart_report = CASE WHEN v.report IS NULL THEN h.restart_report ELSE COALESCE(h.restart_report, '{}'::jsonb) || v.report END
         FROM (SELECT unnest($1::uuid[]) AS deployment_id, unnest($2::uuid[]) AS host_id, unnest($3::text[]) AS status,
                      unnest($4::int[]) AS exit_code, unnest($5::text[]) AS error, unnest($6::timestamptz[]) AS finished_at,
                      unnest($7::jsonb[]) AS output, string_to_array(unnest($8::text[]), ',') AS priors, unnest($9::text[]) AS owner,
                      unnest($10::jsonb[]) AS report) AS v
         WHERE h.deployment_id = v.deployment_id AND h.host_id = v.host_id
           AND h.status = ANY(v.priors) AND ${leaseHeld('h.deployment_id', 'v.owner')}
         RETURNING h.deployment_id, h.host_id`,
        [
          items.map((i) => i.deploymentId),
          items.map((i) => i.hostId),
          items.map((i) => i.end.status),
          items.map((i) => i.end.exitCode),
          items.map((i) => i.end.error),
          items.map((i) => i.end.finishedAt),
          items.map((i) => JSON.stringify(i.output)),
          // The end of a host is written only over a status the table allows it to follow.
          items.map((i) => hostStatusesBefore(i.end.status).join(',')),
          // Each item as the run that wrote it: two runs may share a statement.
          items.map((i) => i.owner),
          items.map((i) => (i.end.restartReport ? JSON.stringify(i.end.restartReport) : null)),
        ],
      ),
    );
    return missingRows(items, rows, 'could not record the end of host (its record changed meanwhile, or this worker lost the lease)');
  }, { keyOf: hostKey, maxBatch: 50 }); // each carries its host's bounded output: fifty at most a statement

  /** A host's move to `verifying`, written while its verify already runs (hosts together share a statement). */
  markVerifying(deploymentId: string, hostId: string): Promise<void> {
    return this.verifyingWrites.write({ deploymentId, hostId, owner: currentLeaseHolder() });
  }

  private readonly verifyingWrites = new WriteBatcher<{ deploymentId: string; hostId: string; owner: string }>(async (items) => {
    const rows = returnedRows<{ deployment_id: string; host_id: string }>(
      await this.db.query(
        `UPDATE deployment_hosts AS h SET status = 'verifying'
         FROM (SELECT unnest($1::uuid[]) AS deployment_id, unnest($2::uuid[]) AS host_id, unnest($3::text[]) AS owner) AS v
         WHERE h.deployment_id = v.deployment_id AND h.host_id = v.host_id AND h.status = 'applying' AND ${leaseHeld('h.deployment_id', 'v.owner')}
         RETURNING h.deployment_id, h.host_id`,
        [items.map((i) => i.deploymentId), items.map((i) => i.hostId), items.map((i) => i.owner)],
      ),
    );
    return missingRows(items, rows, 'could not record host');
  }, { keyOf: hostKey });

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

  /**
   * Takes or renews the deployment's lease for `owner`. Only one worker drives
   * a deployment; a lease its holder stopped renewing (a dead worker) can be taken.
   * Returns false when another live worker holds it.
   */
  async acquireLease(deploymentId: string, ttlMs: number, owner: string = currentLeaseHolder()): Promise<boolean> {
    const rows = returnedRows<{ id: string }>(
      await this.db.query(
        `UPDATE deployments SET lease_owner = $2, lease_until = now() + ($3::int * interval '1 millisecond')
         WHERE id = $1 AND (lease_owner IS NULL OR lease_owner = $2 OR lease_until < now())
         RETURNING id`,
        [deploymentId, owner, ttlMs],
      ),
    );
    return rows.length === 1;
  }

  /**
   * Extends the lease this worker holds, and only that: a lease another worker
   * took, or one released meanwhile, is never taken back by a renewal. A worker
   * that was paused past its lease and wakes after the deployment moved on
   * stays without it (and so writes nothing) until a new job acquires it.
   */
  async renewLease(deploymentId: string, ttlMs: number, owner: string = currentLeaseHolder()): Promise<boolean> {
    const rows = returnedRows<{ id: string }>(
      await this.db.query(
        `UPDATE deployments SET lease_until = now() + ($3::int * interval '1 millisecond')
         WHERE id = $1 AND lease_owner = $2
         RETURNING id`,
        [deploymentId, owner, ttlMs],
      ),
    );
    return rows.length === 1;
  }

  async releaseLease(deploymentId: string, owner: string = currentLeaseHolder()): Promise<void> {
    await this.db.query(`UPDATE deployments SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2`, [
      deploymentId,
      owner,
    ]);
  }

  /** Milliseconds until another holder's lease runs out (0 if free). */
  async leaseRemainingMs(deploymentId: string): Promise<number> {
    const rows: { ms: number | null }[] = await this.db.query(
      `SELECT GREATEST(0, EXTRACT(EPOCH FROM (lease_until - now())) * 1000)::int AS ms FROM deployments WHERE id = $1`,
      [deploymentId],
    );
    return rows[0]?.ms ?? 0;
  }

  /**
   * Write-ahead: the rendered rollback of a host, committed before anything
   * changes it, in the same statement that records the host as `applying`.
   * Resolves once committed; hosts whose captures arrive together are stored
   * in one statement (group commit), each still waiting for its own row.
   */
  storeRollback(deploymentId: string, hostId: string, captured: Record<string, string>, commands: string[]): Promise<void> {
    return this.rollbackWrites.write({ deploymentId, hostId, captured, commands, owner: currentLeaseHolder() });
  }

  private readonly rollbackWrites = new WriteBatcher<StoredRollback>(async (items) => {
    // Plain SQL: it sits between a host's capture and its apply, which waits for it.
    const rows = returnedRows<{ deployment_id: string; host_id: string }>(
      await this.db.query(
        `UPDATE deployment_hosts AS h
         SET captured = v.captured, rollback_commands = v.commands, rollback_stored_at = now(), status = 'applying'
         FROM (SELECT unnest($1::uuid[]) AS deployment_id, unnest($2::uuid[]) AS host_id,
                      unnest($3::jsonb[]) AS captured, unnest($4::jsonb[]) AS commands, unnest($5::text[]) AS owner) AS v
         WHERE h.deployment_id = v.deployment_id AND h.host_id = v.host_id
           AND h.status = 'capturing' AND ${leaseHeld('h.deployment_id', 'v.owner', WRITE_AHEAD_LEASE_MARGIN_MS)}
         RETURNING h.deployment_id, h.host_id`,
        [
          items.map((i) => i.deploymentId),
          items.map((i) => i.hostId),
          items.map((i) => JSON.stringify(i.captured)),
          items.map((i) => JSON.stringify(i.commands)),
          items.map((i) => i.owner),
        ],
      ),
    );
    // Not stored → the host is never told to go on: a host that finished meanwhile
    // (its channel died) keeps its end, and a worker without the lease changes nothing.
    return missingRows(items, rows, 'could not store the rollback of host (its record changed meanwhile, or this worker lost the lease)');
  }, { keyOf: hostKey });

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

  snapshot(run: DeploymentRun): DeploymentSnapshot {
    return {
      status: run.deployment.status,
      strategy: run.deployment.strategy,
      cancelRequested: run.deployment.cancelRequested,
      schedule: scheduleOf(run.deployment),
      steps: run.steps.map((s) => ({
        index: s.index,
        status: s.status,
        bakeUntil: s.bakeUntil?.getTime(),
        promoted: s.promoted,
      })),
      hosts: run.hosts.map((h) => ({
        hostId: h.hostId,
        step: h.step,
        status: h.status,
        rollbackStored: h.rollbackStoredAt !== null,
        startedAt: h.startedAt?.getTime(),
        finishedAt: h.finishedAt?.getTime(),
      })),
    };
  }
}
