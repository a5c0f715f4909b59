// One typed map from job name to queue: the gateway enqueues by job name only,
// and a worker refuses to start if a job name has no handler (see requireJobHandlers).
export const QUEUES = ['scan', 'deploy', 'rollback'] as const;
export type QueueName = (typeof QUEUES)[number];

export const JOB_QUEUE = {
  'scan.run': 'scan',
  'deploy.run': 'deploy',
  'rollback.run': 'rollback',
} as const satisfies Record<string, QueueName>;
export type JobName = keyof typeof JOB_QUEUE;

export interface JobPayloads {
  'scan.run': { taskId: string; scanId: string };
  'deploy.run': { taskId: string; deploymentId: string };
  'rollback.run': { taskId: string; deploymentId: string };
}

export function queueOf(job: JobName): QueueName {
  return JOB_QUEUE[job];
}
