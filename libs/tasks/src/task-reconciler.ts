import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type Redis from 'ioredis';
import { In, LessThan, Repository } from 'typeorm';
import { AuditService } from '@vulnzero/audit';
import { APP_CONFIG, AppConfig } from '@vulnzero/config';
import { indexJobHandlers, JOB_HANDLERS, JobEnqueuer, JobHandler, jobIdFor, JobName, queueOf, REDIS_CLIENT } from '@vulnzero/queues';
import { TaskEntity } from './task.entity';
import { InvalidTaskTransitionError, type TaskType } from './core/task-state';
import { TasksService } from './tasks.service';

const MAX_RECOVERIES = 5;
const LIVE_JOB_STATES = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);

const JOB_OF: Record<TaskType, JobName> = { deploy: 'deploy.run', rollback: 'rollback.run', scan: 'scan.run' };

function payloadOf(task: TaskEntity): Record<string, string> {
  const resourceId = task.resourceId ?? '';
  return task.type === 'scan' ? { taskId: task.id, scanId: resourceId } : { taskId: task.id, deploymentId: resourceId };
}

/**
 * No task stays `queued` or `running` forever, nor `paused` past its
 * `resumeAt`: on worker start and every
 * WORKER_JOB_LOCK_SECONDS,
 * tasks whose BullMQ job is gone (Redis flushed, restarted without
 * persistence, or a gateway that died between its commit and its enqueue) are
 * enqueued again and resume from the record; after five lost jobs the task
 * fails with a clear error, and its handler ends what the job drove (a
 * deployment ends `failed` or `rollback_failed` and frees its hosts). One
 * worker reconciles at a time (a Redis lock).
 */
@Injectable()
export class TaskReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TaskReconciler.name);
  private timer?: NodeJS.Timeout;
  /** Every WORKER_JOB_LOCK_SECONDS: a job lost for that long is past any stalled-job recovery. */
  private readonly intervalMs: number;
  private readonly handlers: Map<JobName, JobHandler>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectRepository(TaskEntity) private readonly taskRows: Repository<TaskEntity>,
    private readonly tasks: TasksService,
    private readonly jobs: JobEnqueuer,
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(JOB_HANDLERS) handlers: JobHandler[],
    private readonly audit: AuditService,
  ) {
    this.intervalMs = config.workerJobLockSeconds * 1000;
    this.handlers = indexJobHandlers(handlers);
  }

  onApplicationBootstrap(): void {
    const tick = () => void this.reconcile().catch((error: Error) => this.logger.warn(`reconcile skipped: ${error.message}`));
    setTimeout(tick, 1_000).unref();
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async reconcile(staleAfterMs = this.intervalMs / 2): Promise<{ requeued: string[]; failed: string[] }> {
    const outcome = { requeued: [] as string[], failed: [] as string[] };
    const lock = await this.redis.set('vz:reconciler:lock', String(process.pid), 'PX', Math.max(1000, this.intervalMs - 1000), 'NX');
    if (lock !== 'OK') return outcome;
    const staleBefore = new Date(Date.now() - staleAfterMs);
    const candidates = await this.taskRows.find({
      where: [
        { status: In(['queued', 'running']), updatedAt: LessThan(staleBefore) },
        // Paused until a time (a maintenance window) and overdue: its wake-up job must still exist.
        { status: 'paused', resumeAt: LessThan(staleBefore) },
      ],
      take: 500,
    });
    for (const task of candidates) {
      const job = JOB_OF[task.type];
      const queue = this.jobs.queue(queueOf(job));
      const jobId = task.jobId ?? jobIdFor(job, task.id);
      const state = queue ? await queue.getJobState(jobId) : 'unknown';
      if (LIVE_JOB_STATES.has(state)) continue;
      const recoveries = await this.redis.incr(`vz:recoveries:${task.id}`);
      await this.redis.expire(`vz:recoveries:${task.id}`, 7 * 24 * 3600);
      if (recoveries > MAX_RECOVERIES) {
        const reason = { code: 'job_lost', message: `the task's job was lost ${MAX_RECOVERIES} times; giving up` };
        const handler = this.handlers.get(job);
        // A live worker still driving the resource: not lost after all; asked again next round.
        if (handler?.giveUp) {
          // It ends the task too, with what became of the resource.
          if (await handler.giveUp(payloadOf(task) as never, reason)) outcome.failed.push(task.id);
          continue;
        }
        try {
          await this.tasks.transition(task.id, 'failed', { error: reason });
        } catch (error) {
          // It finished (or moved on) since it was read: its own outcome stands.
          if (!(error instanceof InvalidTaskTransitionError)) throw error;
          continue;
        }
        await this.audit.recordSystem({
          action: 'task.give-up',
          resourceType: 'task',
          resourceId: task.id,
          detail: { type: task.type, resourceId: task.resourceId, lostJobs: MAX_RECOVERIES, status: { from: task.status, to: 'failed' } },
        });
        outcome.failed.push(task.id);
        continue;
      }
      const newJobId = await this.jobs.enqueue(job, payloadOf(task) as never, `recover-${recoveries}`);
      await this.tasks.setJobId(task.id, newJobId);
      this.logger.warn({ taskId: task.id, lostJob: jobId, jobState: state, newJob: newJobId }, 'task had no live job: enqueued again');
      outcome.requeued.push(task.id);
    }
    return outcome;
  }
}
