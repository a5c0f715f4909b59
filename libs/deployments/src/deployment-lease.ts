import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@vulnzero/config';
import type { JobContext } from '@vulnzero/queues';
import { returnedRows } from './fenced-sql';
import { asLeaseHolder, currentLeaseHolder, newLeaseHolder } from './lease-holder';

/** A lease held by the run in progress, renewed in the background. */
export interface HeldLease {
  /** The lease could not be renewed: start nothing until it is. */
  readonly lost: boolean;
  stop(): void;
}

export class LeaseLostError extends Error {
  constructor(deploymentId: string) {
    super(`lost the lease of deployment ${deploymentId} to another worker; stopping without starting more hosts`);
  }
}

/**
 * Which run of the engine drives a deployment: a lease on the deployment's
 * row (`lease_owner`, `lease_until`). Only one worker drives a deployment; a
 * lease its holder stopped renewing (a dead worker) can be taken. Every
 * record write the engine makes is fenced on it (see lease-holder.ts).
 */
@Injectable()
export class DeploymentLease {
  private readonly logger = new Logger(DeploymentLease.name);
  /** A lease lives as long as a job lock (WORKER_JOB_LOCK_SECONDS) and is renewed at a third of it. */
  private readonly ttlMs: number;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) config: Pick<AppConfig, 'workerJobLockSeconds'>,
  ) {
    this.ttlMs = config.workerJobLockSeconds * 1000;
  }

  /** Runs `work` holding the deployment's lease, renewed in the background; another holder → retry later. */
  async withLease(deploymentId: string, job: Pick<JobContext, 'requeue'>, work: (lease: HeldLease) => Promise<void>): Promise<void> {
    // Each run holds the lease under a name of its own, even beside another run of the same deployment in this process.
    return asLeaseHolder(newLeaseHolder(), () => this.holdingLease(deploymentId, job, work));
  }

  private async holdingLease(
    deploymentId: string,
    job: Pick<JobContext, 'requeue'>,
    work: (lease: HeldLease) => Promise<void>,
  ): Promise<void> {
    if (!(await this.acquire(deploymentId))) {
      const remaining = await this.remainingMs(deploymentId);
      this.logger.log({ deploymentId, retryInMs: remaining + 1000 }, 'deployment is driven by another worker; retrying later');
      await job.requeue(remaining + 1000);
    }
    let lost = false;
    const timer = setInterval(() => {
      // Renewed, never re-taken: once another worker took it (or it was released), it is gone for this run.
      this.renew(deploymentId)
        .then((held) => {
          lost = !held;
        })
        .catch(() => {
          // Cannot reach PostgreSQL: nothing may start until the record is writable again.
          lost = true;
        });
    }, this.ttlMs / 3);
    const lease: HeldLease = {
      get lost() {
        return lost;
      },
      stop: () => clearInterval(timer),
    };
    try {
      await work(lease);
    } finally {
      lease.stop();
      await this.release(deploymentId).catch(() => undefined);
    }
  }

  /**
   * Takes or renews the deployment's lease for `owner`. Returns false when
   * another live worker holds it.
   */
  async acquire(deploymentId: string, ttlMs = this.ttlMs, owner: string = currentLeaseHolder()): Promise<boolean> {
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
  async renew(deploymentId: string, ttlMs = this.ttlMs, owner: string = currentLeaseHolder()): Promise<boolean> {
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

  async release(deploymentId: string, owner: string = currentLeaseHolder()): Promise<void> {
    await this.db.query(`UPDATE deployments SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2`, [
      deploymentId,
      owner,
    ]);
  }

  /** Milliseconds until another holder's lease runs out (0 if free). */
  async remainingMs(deploymentId: string): Promise<number> {
    const rows: { ms: number | null }[] = await this.db.query(
      `SELECT GREATEST(0, EXTRACT(EPOCH FROM (lease_until - now())) * 1000)::int AS ms FROM deployments WHERE id = $1`,
      [deploymentId],
    );
    return rows[0]?.ms ?? 0;
  }
}
