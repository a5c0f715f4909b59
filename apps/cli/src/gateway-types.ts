// The shapes of the gateway's answers the command reads (docs/api.md#deployment-view, #tasks). Only
// the fields used here; everything else is passed through to --json as is.

export interface TaskView {
  id: string;
  type: string;
  status: string;
  /** A task paused by its schedule (maintenance window, notBefore) wakes at this time. */
  resumeAt?: string | null;
  resourceType: string | null;
  resourceId: string | null;
  parentTaskId?: string | null;
  progress: { phase?: string; done?: number; total?: number; percent?: number } | null;
  result: Record<string, unknown> | null;
  error: { code?: string; message?: string } | null;
  createdAt?: string;
  startedAt?: string | null;
  finishedAt?: string | null;
}

export interface DeploymentHostView {
  hostId: string;
  hostName: string;
  address?: string;
  step: number;
  status: string;
  exitCode: number | null;
  error: string | null;
  rollbackStartedAt?: string | null;
  rollbackFinishedAt?: string | null;
}

export interface DeploymentView {
  id: string;
  status: string;
  patchId: string;
  taskId: string | null;
  rollbackTaskId: string | null;
  error?: unknown;
  steps: { index: number; size: number; status: string }[];
  hosts: DeploymentHostView[];
}

export interface ScanView {
  id: string;
  status: string;
  summary: { hosts: number; scanned: number; failed: number; pending: number; findings: Record<string, number> };
  hosts: {
    hostId: string;
    hostName: string;
    status: string;
    errorCode: string | null;
    error: string | null;
    findings: Record<string, number> | null;
  }[];
}

export interface HostView {
  id: string;
  name: string;
  address: string;
  port: number;
  credentialId: string;
  labels: Record<string, string>;
  hostKeyStatus: 'pinned' | 'unpinned';
  hostKeyFingerprint: string | null;
}

/** A live event of `GET /tasks/:id/events`: `task`/`end` carry a TaskView; `host` and `step` carry a transition. */
export interface TaskStreamEvent {
  event: string;
  data: Record<string, unknown>;
}
