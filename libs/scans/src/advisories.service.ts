import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryRunner } from 'typeorm';
import { AuditService } from '@vulnzero/audit';
import { BadInputError, DomainError } from '@vulnzero/http';
import { AdvisoryRecord, OsvRecordSplitter, OsvSyntaxError, validateOsvRecord } from './core';

export interface AdvisoryImportReport {
  /** Records in the body. */
  received: number;
  /** New advisories. */
  imported: number;
  /** Known advisories whose `modified` is newer than the stored one. */
  updated: number;
  /** Known advisories with the same or an older `modified`: left as they are. */
  unchanged: number;
  /** Records with no Debian entry, and the entries skipped per ecosystem. */
  skipped: { records: number; ecosystems: Record<string, number> };
}

/** Records written per statement; the whole import is still one transaction. */
const BATCH = 500;
/** Problems listed in a 400 before the import stops reading. */
const MAX_PROBLEMS = 20;

export class PayloadTooLargeError extends DomainError {
  constructor(limit: number) {
    super(413, `the advisory import body is larger than ${limit} bytes: split it into several imports`, { limitBytes: limit });
  }
}

interface Pending {
  record: AdvisoryRecord;
  raw: unknown;
}

/**
 * OSV import: the body is split into records as it arrives, validated one by
 * one, and written in batches inside one transaction, so a malformed record
 * anywhere leaves nothing imported. Idempotent by id + modified.
 */
@Injectable()
export class AdvisoriesService {
  private readonly logger = new Logger(AdvisoriesService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditService,
  ) {}

  async import(body: AsyncIterable<Buffer | string>, options: { maxBytes: number }): Promise<AdvisoryImportReport> {
    const report: AdvisoryImportReport = { received: 0, imported: 0, updated: 0, unchanged: 0, skipped: { records: 0, ecosystems: {} } };
    const problems: string[] = [];
    const splitter = new OsvRecordSplitter();
    const runner = this.db.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    let pending: Pending[] = [];
    const take = (records: [number, unknown][]): void => {
      for (const [index, raw] of records) {
        report.received++;
        const result = validateOsvRecord(raw, index);
        if (!result.ok) {
          problems.push(...result.problems);
          continue;
        }
        for (const ecosystem of result.skippedEcosystems) {
          report.skipped.ecosystems[ecosystem] = (report.skipped.ecosystems[ecosystem] ?? 0) + 1;
        }
        if (result.record.affected.length === 0) report.skipped.records++;
        else if (problems.length === 0) pending.push({ record: result.record, raw });
      }
    };
    try {
      let bytes = 0;
      for await (const chunk of body) {
        bytes += chunk.length;
        if (bytes > options.maxBytes) throw new PayloadTooLargeError(options.maxBytes);
        take(splitter.push(chunk));
        if (problems.length >= MAX_PROBLEMS) break;
        if (pending.length >= BATCH) {
          await this.write(runner, pending, report);
          pending = [];
        }
      }
      if (problems.length < MAX_PROBLEMS) take(splitter.end());
      if (problems.length > 0) {
        throw new BadInputError(problems.slice(0, MAX_PROBLEMS), { imported: 0 });
      }
      await this.write(runner, pending, report);
      await this.audit.recordChange(runner.manager, { action: 'advisories.import', resourceType: 'advisories', detail: { ...report } });
      await runner.commitTransaction();
      this.logger.log({ ...report }, 'advisories imported');
      return report;
    } catch (error) {
      await runner.rollbackTransaction();
      if (error instanceof OsvSyntaxError) throw new BadInputError([...problems, error.message].slice(0, MAX_PROBLEMS), { imported: 0 });
      throw error;
    } finally {
      await runner.release();
    }
  }

  private async write(runner: QueryRunner, pending: Pending[], report: AdvisoryImportReport): Promise<void> {
    if (pending.length === 0) return;
    // One row per id in a statement (ON CONFLICT cannot touch a row twice): the newest wins.
    const byId = new Map<string, Pending>();
    for (const item of pending) {
      const seen = byId.get(item.record.id);
      if (seen && Date.parse(seen.record.modified) > Date.parse(item.record.modified)) {
        report.unchanged++;
        continue;
      }
      if (seen) report.unchanged++;
      byId.set(item.record.id, item);
    }
    const rows = [...byId.values()];
    const params: unknown[] = [];
    const values = rows.map(({ record, raw }) => {
      const at = params.length;
      params.push(
        record.id,
        record.modified,
        record.published,
        record.withdrawn,
        record.summary,
        record.aliases,
        record.severity,
        record.score,
        JSON.stringify(raw),
      );
      return `($${at + 1}, $${at + 2}::timestamptz, $${at + 3}::timestamptz, $${at + 4}::timestamptz, $${at + 5}, $${at + 6}::text[], $${at + 7}, $${at + 8}::numeric, $${at + 9}::jsonb)`;
    });
    const written = (await runner.query(
      `INSERT INTO advisories (id, modified, published, withdrawn, summary, aliases, severity, score, record)
       VALUES ${values.join(', ')}
       ON CONFLICT (id) DO UPDATE SET
         modified = EXCLUDED.modified, published = EXCLUDED.published, withdrawn = EXCLUDED.withdrawn,
         summary = EXCLUDED.summary, aliases = EXCLUDED.aliases, severity = EXCLUDED.severity,
         score = EXCLUDED.score, record = EXCLUDED.record, updated_at = now()
       WHERE advisories.modified < EXCLUDED.modified
       RETURNING id, (xmax = 0) AS inserted`,
      params,
    )) as { id: string; inserted: boolean }[];
    const changed = new Set(written.map((w) => w.id));
    for (const w of written) {
      if (w.inserted) report.imported++;
      else report.updated++;
    }
    report.unchanged += rows.length - written.length;
    if (changed.size === 0) return;
    await runner.query(`DELETE FROM advisory_packages WHERE advisory_id = ANY($1::text[])`, [[...changed]]);
    const packages = rows
      .filter(({ record }) => changed.has(record.id))
      .flatMap(({ record }) => record.affected.map((a, position) => ({ advisoryId: record.id, position, ...a })));
    for (let start = 0; start < packages.length; start += BATCH) {
      const chunk = packages.slice(start, start + BATCH);
      const chunkParams: unknown[] = [];
      const chunkValues = chunk.map((p) => {
        const at = chunkParams.length;
        chunkParams.push(
          p.advisoryId,
          p.position,
          p.ecosystem,
          p.release,
          p.name,
          JSON.stringify(p.ranges),
          JSON.stringify(p.versions),
          p.severity,
          p.score,
        );
        return `($${at + 1}, $${at + 2}::int, $${at + 3}, $${at + 4}, $${at + 5}, $${at + 6}::jsonb, $${at + 7}::jsonb, $${at + 8}, $${at + 9}::numeric)`;
      });
      await runner.query(
        `INSERT INTO advisory_packages (advisory_id, position, ecosystem, release, name, ranges, versions, severity, score) VALUES ${chunkValues.join(', ')}`,
        chunkParams,
      );
    }
  }
}
