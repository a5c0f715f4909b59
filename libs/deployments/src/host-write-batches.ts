import type { DataSource } from 'typeorm';
import { WriteBatcher } from '@vulnzero/database';
import type { HostRestartReports } from './core/restart-report';
import { hostStatusesBefore, type HostStatus } from './core/host-state';
import type { CommandRecord } from './deployment.entity';
import { leaseHeld, returnedRows } from './fenced-sql';
import { currentLeaseHolder } from './lease-holder';

/** How much of its lease a worker must still hold when it commits a host's write-ahead (the host applies right after). */
const WRITE_AHEAD_LEASE_MARGIN_MS = 1000;

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
function missingRows(
  items: { deploymentId: string; hostId: string }[],
  rows: { deployment_id: string; host_id: string }[],
  what: string,
): (Error | null)[] {
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

/**
 * The host writes many hosts make at once (the write-ahead of each host's
 * rollback, its move to `verifying`, its end): grouped into one statement per
 * batch (group commit), each caller still waiting for its own row, fenced on
 * the status the table allows and on the lease of the run that wrote it.
 */
export class HostWriteBatches {
  constructor(private readonly db: DataSource) {}

  /**
   * A host's last transition and the output of its commands, in one statement;
   * resolves once committed. Hosts finishing together share a statement.
   */
  finishHost(deploymentId: string, hostId: string, output: CommandRecord[], end: HostEnd): Promise<void> {
    return this.finishWrites.write({ deploymentId, hostId, output, end, owner: currentLeaseHolder() });
  }

  private readonly finishWrites = new WriteBatcher<{
    deploymentId: string;
    hostId: string;
    output: CommandRecord[];
    end: HostEnd;
    owner: string;
  }>(
    async (items) => {
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
    },
    { keyOf: hostKey, maxBatch: 50 },
  ); // each carries its host's bounded output: fifty at most a statement

  /** A host's move to `verifying`, written while its verify already runs (hosts together share a statement). */
  markVerifying(deploymentId: string, hostId: string): Promise<void> {
    return this.verifyingWrites.write({ deploymentId, hostId, owner: currentLeaseHolder() });
  }

  private readonly verifyingWrites = new WriteBatcher<{ deploymentId: string; hostId: string; owner: string }>(
    async (items) => {
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
    },
    { keyOf: hostKey },
  );

  /**
   * Write-ahead: the rendered rollback of a host, committed before anything
   * changes it, in the same statement that records the host as `applying`.
   * Resolves once committed; hosts whose captures arrive together are stored
   * in one statement (group commit), each still waiting for its own row.
   */
  storeRollback(deploymentId: string, hostId: string, captured: Record<string, string>, commands: string[]): Promise<void> {
    return this.rollbackWrites.write({ deploymentId, hostId, captured, commands, owner: currentLeaseHolder() });
  }

  private readonly rollbackWrites = new WriteBatcher<StoredRollback>(
    async (items) => {
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
    },
    { keyOf: hostKey },
  );
}
