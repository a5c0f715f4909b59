import { JOB_QUEUE, JobName, JobPayloads } from './queue-names';

export interface JobContext {
  jobId: string;
  attempt: number;
  /** Set when the worker is shutting down: finish the host in flight, start nothing new. */
  signal: AbortSignal;
  /**
   * Hands the job back to the queue for another worker (or this one after a
   * restart) to resume from the record; used when shutting down mid-job.
   * Never returns.
   */
  requeue(delayMs?: number): Promise<never>;
}

/** One handler per job name; the processor of its queue dispatches to it. */
export interface JobHandler<J extends JobName = JobName> {
  readonly job: J;
  handle(payload: JobPayloads[J], context: JobContext): Promise<void>;
  /**
   * The job failed for good (attempts exhausted, or an error retrying cannot
   * fix), or the reconciler gave up on it after it was lost too often: bring
   * what it drives to an end and fail its task with `reason`. Resolves false
   * when a live worker drives that resource now: the job is not lost, and its
   * task is left to that worker.
   */
  giveUp?(payload: JobPayloads[J], reason: JobGiveUpReason): Promise<boolean>;
}

/** Why a job was given up: `job_failed` (it failed for good) or `job_lost` (lost too often). */
export interface JobGiveUpReason {
  code: string;
  message: string;
}

export const JOB_HANDLERS = Symbol('JOB_HANDLERS');

/** A job name without a handler: the worker refuses to start rather than fail those jobs as they arrive. */
export class MissingJobHandlerError extends Error {
  constructor(readonly missing: string[]) {
    super(`no handler registered for job(s): ${missing.join(', ')}`);
    this.name = 'MissingJobHandlerError';
  }
}

/** Indexes handlers by job name; duplicates are a wiring bug and fail at boot. */
export function indexJobHandlers(handlers: JobHandler[]): Map<JobName, JobHandler> {
  const byName = new Map<JobName, JobHandler>();
  for (const handler of handlers) {
    if (byName.has(handler.job)) throw new Error(`two handlers registered for job ${handler.job}`);
    byName.set(handler.job, handler);
  }
  return byName;
}

export function missingJobHandlers(byName: Map<JobName, JobHandler>): JobName[] {
  return (Object.keys(JOB_QUEUE) as JobName[]).filter((name) => !byName.has(name));
}

/**
 * Indexes a worker's handlers and checks that every job name has one (the
 * worker's boot check): throws on a duplicate, and MissingJobHandlerError
 * naming the job names that have none.
 */
export function requireJobHandlers(handlers: JobHandler[]): Map<JobName, JobHandler> {
  const byName = indexJobHandlers(handlers);
  const missing = missingJobHandlers(byName);
  if (missing.length > 0) throw new MissingJobHandlerError(missing);
  return byName;
}
