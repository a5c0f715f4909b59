export const TASK_TYPES = ['scan', 'deploy', 'rollback'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

export const TASK_STATUSES = ['queued', 'running', 'paused', 'succeeded', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

const TRANSITIONS: Record<TaskStatus, readonly TaskStatus[]> = {
  queued: ['running', 'failed', 'cancelled'],
  // running → queued: a worker died and the job is handed to another one.
  running: ['paused', 'succeeded', 'failed', 'cancelled', 'queued'],
  paused: ['running', 'failed', 'cancelled'],
  succeeded: [],
  failed: [],
  cancelled: [],
};

export class InvalidTaskTransitionError extends Error {
  constructor(
    readonly from: TaskStatus,
    readonly to: TaskStatus,
  ) {
    super(`task cannot go from ${from} to ${to}`);
    this.name = 'InvalidTaskTransitionError';
  }
}

export function canTransitionTask(from: TaskStatus, to: TaskStatus): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

export function isTerminalTask(status: TaskStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

export function assertTaskTransition(from: TaskStatus, to: TaskStatus): void {
  if (!canTransitionTask(from, to)) throw new InvalidTaskTransitionError(from, to);
}
