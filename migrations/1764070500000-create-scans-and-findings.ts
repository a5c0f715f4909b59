import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateScansAndFindings1764070500000 implements MigrationInterface {
  name = 'CreateScansAndFindings1764070500000';

  async up(q: QueryRunner): Promise<void> {
    const severity = `CHECK (severity IN ('critical', 'high', 'medium', 'low', 'unknown'))`;
    await q.query(`
      CREATE TABLE advisories (
        id text PRIMARY KEY,
        modified timestamptz NOT NULL,
        published timestamptz,
        withdrawn timestamptz,
        summary text,
        aliases text[] NOT NULL DEFAULT '{}',
        severity text NOT NULL ${severity},
        score numeric(3, 1),
        record jsonb NOT NULL,
        imported_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE advisory_packages (
        advisory_id text NOT NULL REFERENCES advisories(id) ON DELETE CASCADE,
        position integer NOT NULL,
        ecosystem text NOT NULL,
        release text,
        name text NOT NULL,
        ranges jsonb NOT NULL,
        versions jsonb NOT NULL,
        severity text NOT NULL ${severity},
        score numeric(3, 1),
        PRIMARY KEY (advisory_id, position)
      )`);
    await q.query(`CREATE INDEX advisory_packages_name_idx ON advisory_packages (name)`);

    await q.query(`
      CREATE TABLE scans (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        task_id uuid REFERENCES tasks(id),
        status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'partial', 'failed')),
        targets jsonb NOT NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz
      )`);
    await q.query(`CREATE INDEX scans_created_idx ON scans (created_at DESC, id DESC)`);
    await q.query(`
      CREATE TABLE scan_hosts (
        scan_id uuid NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
        host_id uuid NOT NULL,
        position integer NOT NULL,
        host_name text NOT NULL,
        address text NOT NULL,
        port integer NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'succeeded', 'failed')),
        error_code text,
        error text,
        os jsonb,
        package_count integer,
        upgradable jsonb,
        finding_counts jsonb,
        new_findings integer,
        resolved_findings integer,
        started_at timestamptz,
        finished_at timestamptz,
        PRIMARY KEY (scan_id, host_id)
      )`);

    await q.query(`
      CREATE TABLE findings (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        host_id uuid NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
        package text NOT NULL,
        advisory_id text NOT NULL REFERENCES advisories(id) ON DELETE CASCADE,
        matched_name text NOT NULL,
        installed_version text NOT NULL,
        fixed_version text,
        severity text NOT NULL ${severity},
        score numeric(3, 1),
        aliases text[] NOT NULL DEFAULT '{}',
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
        first_seen_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL,
        first_scan_id uuid NOT NULL,
        last_scan_id uuid NOT NULL,
        resolved_at timestamptz,
        resolved_scan_id uuid,
        resolved_by_deployment_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT findings_resolution_recorded CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX findings_host_package_advisory ON findings (host_id, package, advisory_id)`);
    await q.query(`CREATE INDEX findings_created_idx ON findings (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX findings_host_status_idx ON findings (host_id, status)`);
    await q.query(`CREATE INDEX findings_status_severity_idx ON findings (status, severity, created_at DESC, id DESC)`);

    // Findings of one package and fixed version, on any host, share one patch.
    await q.query(`
      CREATE TABLE package_fix_patches (
        package text NOT NULL,
        fixed_version text NOT NULL,
        patch_id uuid NOT NULL REFERENCES patches(id) ON DELETE CASCADE,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (package, fixed_version)
      )`);
    await q.query(`CREATE INDEX package_fix_patches_patch_idx ON package_fix_patches (patch_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE package_fix_patches`);
    await q.query(`DROP TABLE findings`);
    await q.query(`DROP TABLE scan_hosts`);
    await q.query(`DROP TABLE scans`);
    await q.query(`DROP TABLE advisory_packages`);
    await q.query(`DROP TABLE advisories`);
  }
}
