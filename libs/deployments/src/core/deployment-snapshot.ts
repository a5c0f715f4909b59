import type { DeploymentStatus } from './deployment-state';
import type { HostStatus } from './host-state';
import { MaintenanceWindow, scheduleOf } from './maintenance-window';
import type { DeploymentSnapshot, StepStatus } from './next-action';
import type { Strategy } from './strategy';

/** A deployment's rows as read from PostgreSQL: only what a decision needs of them. */
export interface RecordedDeployment {
  deployment: {
    status: DeploymentStatus;
    strategy: Strategy;
    cancelRequested: boolean;
    notBefore: Date | null;
    window: MaintenanceWindow | null;
  };
  steps: readonly { index: number; status: StepStatus; bakeUntil: Date | null; promoted: boolean }[];
  hosts: readonly {
    hostId: string;
    step: number;
    status: HostStatus;
    rollbackStoredAt: Date | null;
    startedAt: Date | null;
    finishedAt: Date | null;
  }[];
}

/** What `nextAction` (and the task's progress) reads of a deployment's rows: times as epoch milliseconds. */
export function toSnapshot(run: RecordedDeployment): DeploymentSnapshot {
  return {
    status: run.deployment.status,
    strategy: run.deployment.strategy,
    cancelRequested: run.deployment.cancelRequested,
    schedule: scheduleOf(run.deployment),
    steps: run.steps.map((s) => ({
      index: s.index,
      status: s.status,
      bakeUntil: s.bakeUntil?.getTime(),
      promoted: s.promoted,
    })),
    hosts: run.hosts.map((h) => ({
      hostId: h.hostId,
      step: h.step,
      status: h.status,
      rollbackStored: h.rollbackStoredAt !== null,
      startedAt: h.startedAt?.getTime(),
      finishedAt: h.finishedAt?.getTime(),
    })),
  };
}
