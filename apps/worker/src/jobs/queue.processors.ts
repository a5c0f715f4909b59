import { Inject, OnApplicationBootstrap, Type } from '@nestjs/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { APP_CONFIG, AppConfig } from '@vulnzero/config';
import { QUEUES, QueueName } from '@vulnzero/queues';
import { JobDispatcher } from './job-dispatcher';

/**
 * BullMQ binds a processor to one queue by decorator, so each queue gets a
 * class; all of them only hand the job to the dispatcher.
 */
function queueProcessor(queue: QueueName): Type<WorkerHost> {
  @Processor(queue, {
    // A worker that dies mid-job stops renewing its lock; after lockDuration
    // another worker takes the job over (stalled-job recovery).
    lockDuration: 30_000,
    stalledInterval: 15_000,
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
      return this.dispatcher.dispatch(job, token);
    }
  }
  Object.defineProperty(QueueProcessor, 'name', { value: `${queue[0]?.toUpperCase()}${queue.slice(1)}QueueProcessor` });
  return QueueProcessor;
}

export const QUEUE_PROCESSORS = QUEUES.map(queueProcessor);
