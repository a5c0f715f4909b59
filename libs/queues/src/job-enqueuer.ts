import { Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { JobName, JobPayloads, queueOf } from './queue-names';

export class QueueUnavailableError extends Error {
  constructor(readonly queue: string, cause: unknown) {
    super(`queue ${queue} is unavailable: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'QueueUnavailableError';
  }
}

/**
 * The single place that builds job options. The job id is derived from the
 * task id, so enqueueing the same task twice (a retry, a reconciler pass) is a
 * no-op in BullMQ instead of a duplicate run.
 */
@Injectable()
export class JobEnqueuer {
  private readonly queues: Record<string, Queue>;

  constructor(
    @InjectQueue('scan') scan: Queue,
    @InjectQueue('deploy') deploy: Queue,
    @InjectQueue('rollback') rollback: Queue,
  ) {
    this.queues = { scan, deploy, rollback };
  }

  /**
   * `occasion` tells apart later runs of the same task (a promote or a cancel
   * resumes a paused deployment with a new job); the same occasion twice is one job.
   */
  async enqueue<J extends JobName>(job: J, payload: JobPayloads[J] & { taskId: string }, occasion = 'start'): Promise<string> {
    const queue = this.queues[queueOf(job)];
    const jobId = `${job}-${payload.taskId}-${occasion}`.replace(/[^A-Za-z0-9_.-]/g, '-');
    try {
      await queue.add(job, payload, {
        jobId,
        attempts: 1,
        removeOnComplete: { age: 24 * 3600, count: 10000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      });
    } catch (error) {
      throw new QueueUnavailableError(queue.name, error);
    }
    return jobId;
  }

  queue(name: string): Queue | undefined {
    return this.queues[name];
  }
}
