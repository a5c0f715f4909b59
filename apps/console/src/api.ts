/** The gateway's JSON API, called same-origin with the token kept in memory only. */

export interface Me {
  id: string | null;
  name: string;
  kind: 'user' | 'api-key';
  role: string;
  permissions: string[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

let token: string | null = null;

export function setToken(value: string | null): void {
  token = value;
}

export function authHeaders(): Record<string, string> {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** The API's error body in words: `{ message, field }` or Nest's `{ message: string[] }`. */
export async function errorFrom(response: Response): Promise<ApiError> {
  let message = `${response.status} ${response.statusText}`;
  let field: string | undefined;
  try {
    const body = (await response.json()) as { message?: unknown; error?: unknown; field?: unknown; details?: { field?: unknown } };
    if (Array.isArray(body.message)) message = body.message.join('; ');
    else if (typeof body.message === 'string') message = body.message;
    else if (typeof body.error === 'string') message = body.error;
    const f = body.field ?? body.details?.field;
    if (typeof f === 'string') field = f;
  } catch {
    // Not JSON: keep the status line.
  }
  return new ApiError(response.status, message, field);
}

export async function api<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: { Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...authHeaders() },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch (error) {
    throw new ApiError(0, `The gateway cannot be reached: ${(error as Error).message}`);
  }
  if (!response.ok) throw await errorFrom(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export interface CommandRecord {
  phase: string;
  command: string;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  at: string;
}

export interface DeploymentHost {
  hostId: string;
  hostName: string;
  address: string;
  port: number;
  step: number | null;
  status: string;
  exitCode: number | null;
  captured: Record<string, string> | null;
  rollbackCommands: string[] | null;
  rollbackStoredAt: string | null;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  rollbackStartedAt: string | null;
  rollbackFinishedAt: string | null;
  output: CommandRecord[] | null;
}

export interface DeploymentStep {
  index: number;
  size: number;
  status: string;
  bakeUntil: string | null;
  promoted: boolean;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface Deployment {
  id: string;
  status: string;
  patchId: string;
  strategy: { type: string; pauseAfterStep?: number[]; maxParallel?: number };
  taskId: string | null;
  rollbackTaskId: string | null;
  cancelRequested: boolean;
  /** Why it is paused: a gate (promote), or its schedule (notBefore, a closed maintenance window) until `resumeAt`. */
  pausedReason?: 'gate' | 'not_before' | 'window_closed' | null;
  resumeAt?: string | null;
  error: { code: string; message: string; hosts?: string[] } | null;
  createdBy: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  steps: DeploymentStep[];
  hosts: DeploymentHost[];
}

export interface Task {
  id: string;
  type: string;
  status: string;
  resourceType: string | null;
  resourceId: string | null;
  parentTaskId?: string | null;
  progress: { phase?: string; done?: number; total?: number; percent?: number } | null;
  result?: Record<string, unknown> | null;
  error: { code?: string; message?: string } | string | null;
  createdBy: string | null;
  createdAt: string;
  startedAt?: string | null;
  finishedAt: string | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Host {
  id: string;
  name: string;
  address: string;
  port: number;
  labels: Record<string, string>;
  hostKey?: string | null;
  hostKeyStatus?: string;
  [key: string]: unknown;
}

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'unknown'] as const;
export const ROLES = ['admin', 'operator', 'deployer', 'viewer'] as const;

export interface Finding {
  id: string;
  hostId: string;
  package: string;
  matchedName: string;
  advisoryId: string;
  aliases: string[];
  installedVersion: string;
  fixedVersion: string | null;
  severity: string;
  score: number | null;
  status: 'open' | 'resolved';
  firstSeenAt: string;
  lastSeenAt: string;
  resolvedAt: string | null;
  patchId: string | null;
}

export interface Patch {
  id: string;
  name: string;
  status: 'draft' | 'approved';
  capture: Record<string, string>;
  apply: string[];
  rollback: string[];
  verify: string | null;
  healthChecks: { type: string; command?: string; port?: number; path?: string }[];
  timeoutSeconds: number;
  /** A package patch: a binary (`name`) or every binary of a `source`, and the services it restarts. */
  package: { manager: string; name?: string; source?: string; version: string; restart?: string[] } | null;
  createdBy: string;
  createdAt: string;
  approvedBy: string | null;
  approvedAt: string | null;
}

export interface User {
  id: string;
  username: string;
  role: string;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  role: string;
  ownerId: string | null;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

export interface AuditEvent {
  id: string;
  occurredAt: string;
  actorKind: string;
  actorId: string | null;
  actorName: string | null;
  action: string;
  resourceType: string | null;
  resourceId: string | null;
  requestId: string | null;
  address: string | null;
  outcome: 'success' | 'denied' | 'failure';
  statusCode: number | null;
  detail: Record<string, unknown>;
  hash: string;
  prevHash: string;
}

export interface ChainVerification {
  valid: boolean;
  checked: number;
  firstBrokenId?: string;
}

/** A task's error in words, whatever shape it has. */
export function taskErrorText(error: Task['error']): string | null {
  if (!error) return null;
  if (typeof error === 'string') return error;
  if (error.code && error.message) return `${error.code}: ${error.message}`;
  return error.message ?? error.code ?? JSON.stringify(error);
}
