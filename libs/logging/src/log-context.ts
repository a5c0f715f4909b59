import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Ids that every log line written inside a unit of work should carry (a job:
 * its task and deployment; a host pipeline: the host). Bound once where the
 * work starts, so deep callers (the engine, ssh, the records) need not thread
 * ids through every log call.
 */
export interface LogContext {
  taskId?: string;
  deploymentId?: string;
  scanId?: string;
  jobId?: string;
  job?: string;
  hostId?: string;
  host?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs `work` with `fields` added to the current log context (nested calls merge). */
export function withLogContext<T>(fields: LogContext, work: () => T): T {
  const merged: LogContext = { ...storage.getStore() };
  for (const [key, value] of Object.entries(fields) as [keyof LogContext, string | undefined][]) {
    if (typeof value === 'string' && value !== '') merged[key] = value;
  }
  return storage.run(merged, work);
}

/** The ids bound by the enclosing `withLogContext`, or `{}`. */
export function currentLogContext(): LogContext {
  return storage.getStore() ?? {};
}

/** The ids a queued job carries (every payload has its task; most name their resource). */
export function jobLogContext(job: { id?: string; name: string; data?: unknown }): LogContext {
  const data = (job.data ?? {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    jobId: job.id,
    job: job.name,
    taskId: text(data.taskId),
    deploymentId: text(data.deploymentId),
    scanId: text(data.scanId),
  };
}
