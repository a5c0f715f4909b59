import type { DataSource } from 'typeorm';
import { DeploymentHostEntity } from './deployment.entity';

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

/** Hosts of a deployment as last read, with each row's version (xmin), in target order. */
interface HostCacheEntry {
  versions: string[];
  hosts: DeploymentHostEntity[];
}

/** Deployments whose hosts this process keeps (a worker drives a few at a time). */
const CACHED_DEPLOYMENTS = 16;

/**
 * A deployment's hosts as this process last read them, re-read row by row
 * only where a row's version changed (see `load`).
 */
export class HostRowCache {
  private readonly entries = new Map<string, HostCacheEntry>();

  constructor(private readonly db: DataSource) {}

  /**
   * The hosts without their output, in target order. The engine reads them on
   * every decision (every host that finishes), so a thousand-host deployment
   * would parse a thousand rows a thousand times: instead one short statement
   * reads every row's version (`xmin`, new with every committed UPDATE), and
   * only rows whose version changed since this process last read them are
   * fetched again. Callers get their own copies, free to change.
   */
  async load(deploymentId: string): Promise<DeploymentHostEntity[]> {
    const cached = this.entries.get(deploymentId);
    const [{ versions }] = (await this.db.query(
      `SELECT coalesce(string_agg(xmin::text, ',' ORDER BY position, host_id), '') AS versions
       FROM deployment_hosts WHERE deployment_id = $1`,
      [deploymentId],
    )) as [{ versions: string }];
    const current = versions === '' ? [] : versions.split(',');
    let entry: HostCacheEntry;
    if (!cached || cached.versions.length !== current.length) {
      const rows = await this.fetchRows('deployment_id = $1', [deploymentId]);
      entry = { versions: rows.map((r) => r.version), hosts: rows.map(hostOfRow) };
    } else {
      const changed = current.flatMap((version, i) => (version === cached.versions[i] ? [] : [i]));
      entry = { versions: [...cached.versions], hosts: [...cached.hosts] };
      if (changed.length > 0) {
        const ids = changed.map((i) => (cached.hosts[i] as DeploymentHostEntity).hostId);
        const rows = new Map(
          (await this.fetchRows('deployment_id = $1 AND host_id = ANY($2::uuid[])', [deploymentId, ids])).map((r) => [r.host_id, r]),
        );
        for (const i of changed) {
          const row = rows.get((cached.hosts[i] as DeploymentHostEntity).hostId);
          if (!row) return this.reload(deploymentId); // gone meanwhile: start over
          entry.versions[i] = row.version;
          entry.hosts[i] = hostOfRow(row);
        }
      }
    }
    this.entries.delete(deploymentId);
    this.entries.set(deploymentId, entry);
    while (this.entries.size > CACHED_DEPLOYMENTS) this.entries.delete(this.entries.keys().next().value as string);
    return entry.hosts.map((h) => Object.assign(new DeploymentHostEntity(), h));
  }

  private reload(deploymentId: string): Promise<DeploymentHostEntity[]> {
    this.entries.delete(deploymentId);
    return this.load(deploymentId);
  }

  private async fetchRows(where: string, params: unknown[]): Promise<HostRow[]> {
    return (await this.db.query(
      `SELECT deployment_id, host_id, position, host_name, address, resolved_address, port, host_key, credential_id, step, status, exit_code, captured,
              rollback_commands, rollback_stored_at, error, started_at, finished_at, rollback_started_at, rollback_finished_at,
              xmin::text AS version
       FROM deployment_hosts WHERE ${where} ORDER BY position, host_id`,
      params,
    )) as HostRow[];
  }
}
