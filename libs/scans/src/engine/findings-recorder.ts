import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AdvisoryPackage, HostMatch, InstalledPackage, RangeEvent, Severity } from '../core';

export interface RecordedHostFindings {
  /** Findings seen for the first time on this host. */
  opened: number;
  /** Open findings this scan no longer sees. */
  resolved: number;
}

const CHUNK = 500;

/** The findings table as scans see it: candidate advisories in, host findings out. */
@Injectable()
export class FindingsRecorder {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Advisory entries that name any of these packages (binary or source name); withdrawn ones excluded. */
  async candidatesFor(packages: InstalledPackage[]): Promise<AdvisoryPackage[]> {
    const names = [...new Set(packages.flatMap((p) => [p.name, p.source]))];
    if (names.length === 0) return [];
    const rows = (await this.db.query(
      `SELECT ap.advisory_id, ap.release, ap.name, ap.ranges, ap.versions, ap.severity, ap.score, a.aliases
       FROM advisory_packages ap JOIN advisories a ON a.id = ap.advisory_id
       WHERE ap.name = ANY($1::text[]) AND a.withdrawn IS NULL`,
      [names],
    )) as {
      advisory_id: string;
      release: string | null;
      name: string;
      ranges: RangeEvent[][];
      versions: string[];
      severity: Severity;
      score: string | null;
      aliases: string[];
    }[];
    return rows.map((r) => ({
      advisoryId: r.advisory_id,
      aliases: r.aliases,
      release: r.release,
      name: r.name,
      ranges: r.ranges,
      versions: r.versions,
      severity: r.severity,
      score: r.score === null ? null : Number(r.score),
    }));
  }

  /**
   * In one transaction: upserts what the scan saw on the host (reopening a
   * finding that had been resolved), and resolves the host's open findings it
   * no longer sees, naming the deployment that fixed it when a succeeded
   * deployment of the patch generated for that package and fixed version
   * left this host healthy.
   */
  async recordHost(scanId: string, hostId: string, matches: HostMatch[], seenAt: Date): Promise<RecordedHostFindings> {
    return this.db.transaction(async (em) => {
      let opened = 0;
      for (let start = 0; start < matches.length; start += CHUNK) {
        const chunk = matches.slice(start, start + CHUNK);
        const params: unknown[] = [hostId, scanId, seenAt];
        const values = chunk.map((m) => {
          const at = params.length;
          params.push(m.package, m.advisoryId, m.matchedName, m.installedVersion, m.fixedVersion, m.severity, m.score, m.aliases);
          return `($1::uuid, $${at + 1}, $${at + 2}, $${at + 3}, $${at + 4}, $${at + 5}, $${at + 6}, $${at + 7}::numeric, $${at + 8}::text[], 'open', $3::timestamptz, $3::timestamptz, $2::uuid, $2::uuid)`;
        });
        const rows = (await em.query(
          `INSERT INTO findings (host_id, package, advisory_id, matched_name, installed_version, fixed_version, severity, score, aliases,
                                 status, first_seen_at, last_seen_at, first_scan_id, last_scan_id)
           VALUES ${values.join(', ')}
           ON CONFLICT (host_id, package, advisory_id) DO UPDATE SET
             matched_name = EXCLUDED.matched_name, installed_version = EXCLUDED.installed_version,
             fixed_version = EXCLUDED.fixed_version, severity = EXCLUDED.severity, score = EXCLUDED.score,
             aliases = EXCLUDED.aliases, status = 'open', last_seen_at = EXCLUDED.last_seen_at,
             last_scan_id = EXCLUDED.last_scan_id, resolved_at = NULL, resolved_scan_id = NULL,
             resolved_by_deployment_id = NULL, updated_at = now()
           RETURNING (xmax = 0) AS inserted`,
          params,
        )) as { inserted: boolean }[];
        opened += rows.filter((r) => r.inserted).length;
      }
      const resolved = (await em.query(
        `UPDATE findings f SET status = 'resolved', resolved_at = $3, resolved_scan_id = $2, updated_at = now(),
           resolved_by_deployment_id = (
             SELECT d.id FROM deployments d
             JOIN patches p ON p.id = d.patch_id
             JOIN deployment_hosts dh ON dh.deployment_id = d.id AND dh.host_id = f.host_id AND dh.status = 'healthy'
             WHERE d.status = 'succeeded' AND (
               -- the patch made from this finding (or another of its package and fix) …
               EXISTS (SELECT 1 FROM package_fix_patches l
                       WHERE l.patch_id = d.patch_id AND l.package IN (f.package, f.matched_name) AND l.fixed_version = f.fixed_version)
               -- … or any package patch installing the fixed version of its source or binary
               OR (p.definition -> 'package' ->> 'version' = f.fixed_version
                   AND (p.definition -> 'package' ->> 'source' = f.matched_name OR p.definition -> 'package' ->> 'name' = f.package)))
             ORDER BY COALESCE(dh.finished_at, d.finished_at) DESC NULLS LAST
             LIMIT 1)
         WHERE f.host_id = $1 AND f.status = 'open'
           AND NOT EXISTS (SELECT 1 FROM unnest($4::text[], $5::text[]) AS seen(package, advisory_id)
                           WHERE seen.package = f.package AND seen.advisory_id = f.advisory_id)
         RETURNING f.id`,
        [hostId, scanId, seenAt, matches.map((m) => m.package), matches.map((m) => m.advisoryId)],
      )) as [unknown[], number];
      return { opened, resolved: resolved[1] };
    });
  }
}
