import { Inject, OnApplicationBootstrap, Type } from '@nestjs/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { APP_CONFIG, AppConfig } from '@vulnzero/config';
import { QUEUES, QueueName } from '@vulnzero/queues';
import { jobLogContext, withLogContext } from '@vulnzero/logging';
import { JobDispatcher } from './job-dispatcher';

/**
 * BullMQ binds a processor to one queue by decorator, so each queue gets a
 * class; all of them only hand the job to the dispatcher.
 */
function jobLockMs(): number {
  const seconds = Number(process.env.WORKER_JOB_LOCK_SECONDS ?? 30);
  return (Number.isFinite(seconds) && seconds >= 2 ? seconds : 30) * 1000;
}

function queueProcessor(queue: QueueName): Type<WorkerHost> {
  @Processor(queue, {
    // A worker that dies mid-job stops renewing its lock; after lockDuration
    // another worker takes the job over (stalled-job recovery). Decorators are
    // evaluated at import, so the validated value is read from the environment
    // here (WORKER_JOB_LOCK_SECONDS, checked by the config schema at start).
    lockDuration: jobLockMs(),
    stalledInterval: Math.max(1000, Math.floor(jobLockMs() / 2)),
    maxStalledCount: 5,
  })
  class QueueProcessor extends WorkerHost implements OnApplicationBootstrap {
    constructor(
      private readonly dispatcher: JobDispatcher,
      @Inject(APP_CONFIG) private readonly config: AppConfig,
    ) {
      super();
    }

    onApplicationBootstrap(): void {
      this.worker.concurrency = this.config.workerConcurrency;
    }

    process(job: Job<{ taskId: string }>, token?: string): Promise<void> {
      // Every log line of the job (engine, ssh, records) carries its task and deployment ids.
      return withLogContext(jobLogContext(job), () => this.dispatcher.dispatch(job, token));
    }
  }
  Object.defineProperty(QueueProcessor, 'name', { value: `${queue[0]?.toUpperCase()}${queue.slice(1)}QueueProcessor` });
  return QueueProcessor;
}

export const QUEUE_PROCESSORS = QUEUES.map(queueProcessor);
