import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { mapLimit } from '@vulnzero/async';
import { HostEntity } from '@vulnzero/inventory';
import type { JobContext } from '@vulnzero/queues';
import { ProgressWriter, TaskEventsPublisher, TasksService } from '@vulnzero/tasks';
import { countBySeverity, emptySeverityCounts, matchHost, Severity, SeverityCounts } from '../core';
import { ScanEntity, ScanHostEntity, ScanStatus } from '../scan.entities';
import { FindingsRecorder } from './findings-recorder';
import { HostScanner } from './host-scanner';

/** Hosts scanned at once by one scan job. */
export const SCAN_HOST_CONCURRENCY = 16;

/**
 * Runs one scan: every target host not yet finished is scanned (at most
 * SCAN_HOST_CONCURRENCY at once), its findings recorded, and the task's
 * progress moved as each host finishes. A host that fails is recorded with
 * the reason; the others go on. Everything lives in the rows, so a job that
 * is requeued (shutdown) or taken over (crash) resumes with the hosts left.
 */
@Injectable()
export class ScanRunner {
  private readonly logger = new Logger(ScanRunner.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly tasks: TasksService,
    private readonly events: TaskEventsPublisher,
    private readonly scanner: HostScanner,
    private readonly findings: FindingsRecorder,
  ) {}

  async run(scanId: string, taskId: string, job: Pick<JobContext, 'signal' | 'requeue'>): Promise<void> {
    const scans = this.db.getRepository(ScanEntity);
    const scanHosts = this.db.getRepository(ScanHostEntity);
    const scan = await scans.findOneBy({ id: scanId });
    if (!scan) throw new Error(`scan ${scanId} does not exist`);
    if (['succeeded', 'partial', 'failed'].includes(scan.status)) return;
    const task = await this.tasks.get(taskId);
    if (task.status === 'queued') await this.tasks.transition(taskId, 'running', { progress: { phase: 'scanning' } });
    if (scan.status === 'queued') await scans.update({ id: scanId }, { status: 'running', startedAt: new Date() });
    this.events.publish(taskId, { type: 'task', status: 'running' });

    const rows = await scanHosts.find({ where: { scanId }, order: { position: 'ASC' } });
    const total = rows.length;
    let done = rows.filter((r) => r.status === 'succeeded' || r.status === 'failed').length;
    const todo = rows.filter((r) => r.status === 'pending' || r.status === 'running');
    const inventory = new Map(
      (await this.db.getRepository(HostEntity).findBy({ id: In(todo.map((r) => r.hostId)) })).map((h) => [h.id, h]),
    );
    // Coalesced: one write of the task row per finishing host would be one per host of the fleet.
    const progress = new ProgressWriter((value) => this.tasks.updateProgress(taskId, value));

    await mapLimit(todo, SCAN_HOST_CONCURRENCY, async (row) => {
      if (job.signal.aborted) return; // left pending for the job's next run
      await scanHosts.update({ scanId, hostId: row.hostId }, { status: 'running', startedAt: new Date() });
      this.events.publish(taskId, { type: 'host', hostId: row.hostId, hostName: row.hostName, status: 'running' });
      const result = await this.scanHost(scanId, row, inventory.get(row.hostId));
      await scanHosts.update({ scanId, hostId: row.hostId }, { ...result, finishedAt: new Date() });
      done++;
      await progress.report({ phase: 'scanning', done, total, percent: Math.floor((done * 100) / total) });
      this.events.publish(taskId, {
        type: 'host',
        hostId: row.hostId,
        hostName: row.hostName,
        status: result.status,
        ...(result.errorCode ? { errorCode: result.errorCode, error: result.error } : { findings: result.findingCounts }),
      });
    });

    await progress.flush();
    const finished = await scanHosts.find({ where: { scanId } });
    if (finished.some((h) => h.status === 'pending' || h.status === 'running')) {
      this.logger.log({ scanId }, 'worker shutting down: scan handed back to the queue');
      await job.requeue();
    }
    await this.finish(scan, taskId, finished);
  }

  private async scanHost(scanId: string, row: ScanHostEntity, host: HostEntity | undefined): Promise<Partial<ScanHostEntity>> {
    if (!host)
      return { status: 'failed', errorCode: 'host_removed', error: 'the host was removed from the inventory after the scan started' };
    try {
      const outcome = await this.scanner.scan(host);
      if (!outcome.ok) return { status: 'failed', errorCode: outcome.code, error: outcome.message };
      const matches = matchHost(outcome.os, outcome.packages, await this.findings.candidatesFor(outcome.packages));
      const recorded = await this.findings.recordHost(scanId, row.hostId, matches, new Date());
      return {
        status: 'succeeded',
        errorCode: null,
        error: null,
        os: outcome.os,
        packageCount: outcome.packages.length,
        upgradable: outcome.upgradable,
        findingCounts: countBySeverity(matches),
        newFindings: recorded.opened,
        resolvedFindings: recorded.resolved,
      };
    } catch (error) {
      this.logger.error({ err: error, scanId, hostId: row.hostId }, 'host scan failed');
      return { status: 'failed', errorCode: 'internal_error', error: (error as Error).message };
    }
  }

  private async finish(scan: ScanEntity, taskId: string, hosts: ScanHostEntity[]): Promise<void> {
    const scanned = hosts.filter((h) => h.status === 'succeeded').length;
    const failed = hosts.length - scanned;
    const status: ScanStatus = failed === 0 ? 'succeeded' : scanned === 0 ? 'failed' : 'partial';
    const findings: SeverityCounts = emptySeverityCounts();
    for (const h of hosts) for (const [k, n] of Object.entries(h.findingCounts ?? {})) findings[k as Severity] += n;
    await this.db.getRepository(ScanEntity).update({ id: scan.id }, { status, finishedAt: new Date() });
    const result = {
      scanStatus: status,
      hosts: { total: hosts.length, scanned, failed },
      findings,
      failedHosts: hosts
        .filter((h) => h.status === 'failed')
        .map((h) => ({ hostId: h.hostId, hostName: h.hostName, errorCode: h.errorCode })),
    };
    const progress = { phase: status, done: hosts.length, total: hosts.length, percent: 100 };
    if (status === 'failed') {
      await this.tasks.transition(taskId, 'failed', {
        progress,
        result,
        error: {
          code: 'all_hosts_failed',
          message: `no host could be scanned (${hosts.map((h) => `${h.hostName}: ${h.errorCode}`).join(', ')})`.slice(0, 2000),
        },
      });
    } else {
      await this.tasks.transition(taskId, 'succeeded', { progress, result });
    }
    this.events.publish(taskId, { type: 'task', status: status === 'failed' ? 'failed' : 'succeeded', scanStatus: status });
  }
}
