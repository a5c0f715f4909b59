import type { DeploymentStatus } from './deployment-state';
import type { HostStatus } from './host-state';

export interface ProgressInput {
  status: DeploymentStatus;
  steps: { index: number; status: string }[];
  hosts: { step: number; status: HostStatus }[];
}

export interface TaskProgress {
  phase: string;
  done: number;
  total: number;
  percent: number;
}

const DONE_DEPLOYING: readonly HostStatus[] = ['healthy'];
const DONE_ROLLING_BACK: readonly HostStatus[] = ['rolled_back', 'rollback_failed'];

/**
 * A task's progress is computed from the deployment's rows, never stored
 * apart from them, so the two cannot disagree (argo-rollouts' derived phase).
 */
export function deployProgress(input: ProgressInput): TaskProgress {
  const total = input.hosts.length;
  const stepCount = input.steps.length;
  const current = input.steps.find((s) => s.status !== 'succeeded' && s.status !== 'failed');
  const stepLabel = `step ${Math.min((current?.index ?? stepCount - 1) + 1, stepCount)}/${stepCount}`;
  let phase: string;
  let done: number;
  if (input.status === 'rolling_back' || input.status === 'rolled_back' || input.status === 'rollback_failed') {
    const involved = input.hosts.filter((h) => ['rolling_back', ...DONE_ROLLING_BACK].includes(h.status));
    done = involved.filter((h) => DONE_ROLLING_BACK.includes(h.status)).length;
    const rollbackTotal = Math.max(involved.length, 1);
    const phaseName = input.status === 'rolling_back' ? 'rolling back' : input.status.replace('_', ' ');
    return { phase: phaseName, done, total: involved.length, percent: Math.floor((done / rollbackTotal) * 100) };
  }
  done = input.hosts.filter((h) => DONE_DEPLOYING.includes(h.status)).length;
  const baking = current?.status === 'baking';
  switch (input.status) {
    case 'pending':
      phase = 'queued';
      break;
    case 'paused':
      phase = `paused after ${stepLabel}`;
      break;
    case 'running':
      phase = baking ? `baking ${stepLabel}` : stepLabel;
      break;
    default:
      phase = input.status;
  }
  return { phase, done, total, percent: total === 0 ? 0 : Math.floor((done / total) * 100) };
}
