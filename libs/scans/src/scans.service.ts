import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@vulnzero/audit';
import type { Actor } from '@vulnzero/auth';
import { BadInputError, DependencyUnavailableError, NotFoundError } from '@vulnzero/http';
import { HostsService, HostTargets } from '@vulnzero/inventory';
import { JobEnqueuer } from '@vulnzero/queues';
import { TasksService } from '@vulnzero/tasks';
import { ScanEntity, ScanHostEntity } from './scan.entities';
import { toScanView, ScanView } from './scan-view';

export interface ScanAccepted {
  scanId: string;
  taskId: string;
  statusUrl: string;
}

/** The gateway's side of scans: resolve targets, record, enqueue; and read them back. */
@Injectable()
export class ScansService {
  private readonly logger = new Logger(ScansService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly hosts: HostsService,
    private readonly tasks: TasksService,
    private readonly jobs: JobEnqueuer,
    private readonly audit: AuditService,
  ) {}

  async create(actor: Actor, targets: HostTargets): Promise<ScanAccepted> {
    const hosts = await this.hosts.resolveTargets(targets);
    if (hosts.length === 0) throw new BadInputError(['targets: match no host'], { field: 'targets' });
    const accepted = await this.db.transaction(async (em) => {
      const scan = await em
        .getRepository(ScanEntity)
        .save(
          em
            .getRepository(ScanEntity)
            .create({ status: 'queued', targets, createdBy: actor.name, taskId: null, startedAt: null, finishedAt: null }),
        );
      await em.getRepository(ScanHostEntity).insert(
        hosts.map((h, position) => ({
          scanId: scan.id,
          hostId: h.id,
          position,
          hostName: h.name,
          address: h.address,
          port: h.port,
          status: 'pending' as const,
        })),
      );
      const task = await this.tasks.create(
        { type: 'scan', createdBy: actor.name, resourceType: 'scan', resourceId: scan.id, total: hosts.length },
        em,
      );
      await em.getRepository(ScanEntity).update({ id: scan.id }, { taskId: task.id });
      await this.audit.recordChange(em, {
        action: 'scan.create',
        resourceType: 'scan',
        resourceId: scan.id,
        detail: { hosts: hosts.length, taskId: task.id },
      });
      return { scanId: scan.id, taskId: task.id, statusUrl: `/tasks/${task.id}` };
    });
    try {
      await this.tasks.setJobId(accepted.taskId, await this.jobs.enqueue('scan.run', { taskId: accepted.taskId, scanId: accepted.scanId }));
    } catch (error) {
      this.logger.error({ err: error, scanId: accepted.scanId }, 'scan job not enqueued');
      await this.db.getRepository(ScanEntity).update({ id: accepted.scanId }, { status: 'failed', finishedAt: new Date() });
      await this.tasks.transition(accepted.taskId, 'failed', { error: { code: 'queue_unavailable', message: (error as Error).message } });
      throw new DependencyUnavailableError('queue', 'the scan could not be enqueued; nothing was started');
    }
    return accepted;
  }

  async get(id: string): Promise<ScanView> {
    const scan = await this.db.getRepository(ScanEntity).findOneBy({ id });
    if (!scan) throw new NotFoundError('scan', id);
    const hosts = await this.db.getRepository(ScanHostEntity).find({ where: { scanId: id }, order: { position: 'ASC' } });
    return toScanView(scan, hosts);
  }
}
