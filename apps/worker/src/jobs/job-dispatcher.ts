import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { DomainError } from '@vulnzero/http';
import { JOB_HANDLERS, JobGiveUpReason, JobHandler, JobName, requireJobHandlers } from '@vulnzero/queues';
import { isTerminalTask, TasksService } from '@vulnzero/tasks';

/**
 * Routes a BullMQ job to its handler and keeps the task row honest: a job
 * whose handler throws leaves its task `failed` with the error, never `running`.
 * A worker without a handler for some job name does not start (the
 * constructor throws MissingJobHandlerError before any queue is consumed).
 */
@Injectable()
export class JobDispatcher implements OnApplicationShutdown {
  private readonly logger = new Logger(JobDispatcher.name);
  private readonly handlers: Map<JobName, JobHandler>;
  private readonly shutdown = new AbortController();

  constructor(
    @Inject(JOB_HANDLERS) handlers: JobHandler[],
    private readonly tasks: TasksService,
  ) {
    this.handlers = requireJobHandlers(handlers);
  }

  onApplicationShutdown(): void {
    this.shutdown.abort();
  }

  async dispatch(job: Job<{ taskId: string }>, token?: string): Promise<void> {
    const name = job.name as JobName;
    const handler = this.handlers.get(name);
    const taskId = job.data?.taskId;
    if (!handler) {
      // Only a name this build does not know (every known one has a handler: checked at boot).
      const message = `this worker has no handler for job ${job.name}`;
      if (taskId) await this.failTask(taskId, 'no_handler', message);
      throw new Error(message);
    }
    try {
      await handler.handle(job.data as never, {
        jobId: job.id ?? '',
        attempt: job.attemptsMade + 1,
        signal: this.shutdown.signal,
        requeue: async (delayMs = 1000) => {
          await job.moveToDelayed(Date.now() + delayMs, token);
          throw new DelayedError();
        },
      });
    } catch (error) {
      if (error instanceof DelayedError) throw error;
      // A domain error (a missing patch, a bad state) will not go away by
      // retrying; anything else (PostgreSQL down, a lost lease) is retried
      // with backoff, and the retry resumes from the record.
      const final = error instanceof DomainError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      this.logger.error({ err: error, taskId, job: job.name, attempt: job.attemptsMade + 1, final }, 'job failed');
      if (!final) throw error;
      if (taskId) await this.giveUp(handler, job.data, taskId, { code: 'job_failed', message: (error as Error).message });
      throw error instanceof DomainError ? new UnrecoverableError((error as Error).message) : error;
    }
  }

  /**
   * A job that failed for good: what it drives ends too (a deployment never
   * stays running after its job is gone), then its task. A handler that finds
   * another live worker driving the resource keeps the task open for it.
   */
  private async giveUp(handler: JobHandler, payload: { taskId: string }, taskId: string, reason: JobGiveUpReason): Promise<void> {
    let ended = true;
    try {
      if (handler.giveUp) ended = await handler.giveUp(payload as never, reason);
    } catch (error) {
      this.logger.error(
        { err: error, taskId, job: handler.job },
        'could not end what the failed job drives; its task is failed all the same',
      );
    }
    if (ended)
      await this.failTask(taskId, reason.code, reason.message).catch((error: Error) =>
        this.logger.error({ err: error, taskId }, 'could not fail the task'),
      );
  }

  private async failTask(taskId: string, code: string, message: string): Promise<void> {
    const task = await this.tasks.get(taskId);
    if (isTerminalTask(task.status)) return;
    await this.tasks.transition(taskId, 'failed', { error: { code, message } });
  }
}
