// The exit codes CI pipelines branch on (docs/api.md#exit-codes). Kept in one place so that
// every command and every error maps to the same four answers.

export const ExitCode = {
  /** The command did what was asked; a followed task succeeded. */
  ok: 0,
  /** A followed task failed, was rolled back or cancelled; the gateway refused (404, 409, 429, 5xx); the network failed. */
  failed: 1,
  /** Bad flags or arguments, a request the gateway found invalid (400), or an auth error (401/403). */
  usage: 2,
  /** --timeout ran out; the task keeps running on the server. */
  timeout: 3,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const TERMINAL_TASK_STATUSES = ['succeeded', 'failed', 'cancelled'] as const;

export function isTerminalTaskStatus(status: string): boolean {
  return (TERMINAL_TASK_STATUSES as readonly string[]).includes(status);
}

/**
 * A finished task's verdict: only `succeeded` is success. A deploy task whose
 * deployment was rolled back is `failed` (docs/api.md#tasks), and a cancelled task did
 * not do what the pipeline asked for either.
 */
export function exitCodeForTask(task: { status: string }): ExitCode {
  return task.status === 'succeeded' ? ExitCode.ok : ExitCode.failed;
}

/** The exit code of an HTTP error answer. */
export function exitCodeForHttpStatus(status: number): ExitCode {
  if (status === 400 || status === 401 || status === 403 || status === 413 || status === 422) return ExitCode.usage;
  return ExitCode.failed;
}
