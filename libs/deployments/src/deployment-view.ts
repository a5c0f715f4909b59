import { summarizeCommand } from './core/host-output';
import type { DeploymentEntity, DeploymentHostEntity, DeploymentStepEntity } from './deployment.entity';

const iso = (date: Date | null) => date?.toISOString() ?? null;

/**
 * `GET /deployments/:id` (docs/api.md#deployments): every target host with its record,
 * rollback commands included; each command with the last 4 KiB of each stream
 * (the whole bounded output is paged at `/deployments/:id/hosts/:hostId/output`).
 */
export function toDeploymentView(deployment: DeploymentEntity, steps: DeploymentStepEntity[], hosts: DeploymentHostEntity[]) {
  return {
    id: deployment.id,
    status: deployment.status,
    patchId: deployment.patchId,
    strategy: deployment.strategy,
    targets: deployment.targets,
    taskId: deployment.taskId,
    rollbackTaskId: deployment.rollbackTaskId,
    retryOf: deployment.retryOf ?? null,
    retriedBy: deployment.retriedBy ?? null,
    cancelRequested: deployment.cancelRequested,
    notBefore: iso(deployment.notBefore),
    window: deployment.window,
    maintenanceWindowId: deployment.maintenanceWindowId,
    pausedReason: deployment.status === 'paused' ? (deployment.pausedReason ?? 'gate') : null,
    resumeAt: deployment.status === 'paused' ? iso(deployment.resumeAt) : null,
    error: deployment.error,
    createdBy: deployment.createdBy,
    createdAt: deployment.createdAt.toISOString(),
    startedAt: iso(deployment.startedAt),
    finishedAt: iso(deployment.finishedAt),
    steps: steps.map((s) => ({
      index: s.index,
      size: s.size,
      status: s.status,
      bakeUntil: iso(s.bakeUntil),
      promoted: s.promoted,
      startedAt: iso(s.startedAt),
      finishedAt: iso(s.finishedAt),
    })),
    hosts: hosts.map((h) => ({
      hostId: h.hostId,
      hostName: h.hostName,
      address: h.address,
      /** Where this deployment connects (and health-checks from the worker): `address` resolved when it was created. */
      resolvedAddress: h.resolvedAddress,
      port: h.port,
      step: h.step,
      status: h.status,
      exitCode: h.exitCode,
      captured: h.captured,
      rollbackCommands: h.rollbackCommands,
      rollbackStoredAt: iso(h.rollbackStoredAt),
      /** Package patches: after apply and after rollback, processes still using replaced libraries and whether a reboot is required. */
      restartReport: h.restartReport ?? null,
      error: h.error,
      startedAt: iso(h.startedAt),
      finishedAt: iso(h.finishedAt),
      rollbackStartedAt: iso(h.rollbackStartedAt),
      rollbackFinishedAt: iso(h.rollbackFinishedAt),
      output: (h.output ?? []).map((record) => summarizeCommand(record)),
    })),
    links: {
      self: `/deployments/${deployment.id}`,
      ...(deployment.taskId ? { task: `/tasks/${deployment.taskId}` } : {}),
      ...(deployment.rollbackTaskId ? { rollbackTask: `/tasks/${deployment.rollbackTaskId}` } : {}),
      ...(deployment.retryOf ? { retryOf: `/deployments/${deployment.retryOf}` } : {}),
      ...(deployment.retriedBy ? { retriedBy: `/deployments/${deployment.retriedBy}` } : {}),
      ...(deployment.maintenanceWindowId ? { maintenanceWindow: `/maintenance-windows/${deployment.maintenanceWindowId}` } : {}),
    },
  };
}

export type DeploymentView = ReturnType<typeof toDeploymentView>;
