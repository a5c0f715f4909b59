// How an HTTP request becomes an audit event: who, what, on which resource,
// and how it ended. Pure, so the rules are tested without a server.
import type { AuditEventInput, AuditOutcome } from './audit-event';

const MUTATING_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The route whose caller is known only by the username it tries. */
export const LOGIN_ROUTE = 'POST /auth/login';

/** The facts about a finished request, as the Express hook collects them. */
export interface HttpRequestFacts {
  method: string;
  /** `req.originalUrl`: path and query as the client sent them. */
  originalUrl: string;
  /** The Express route pattern (`/hosts/:id/host-key/trust`) the request matched last, if any. */
  routePath?: string;
  params?: Record<string, unknown>;
  actor?: { kind: 'user' | 'api-key'; userId: string; name: string; apiKeyId?: string };
  /** Set by a handler that names the resource it touched. */
  auditResource?: { type: string; id?: string };
  /** Set by a handler that names its action better than its route does. */
  auditAction?: string;
  body?: unknown;
  requestId?: string;
  address?: string;
  /** Null when the client went away before a response was sent. */
  statusCode: number | null;
  durationMs: number;
}

export function isMutatingMethod(method: string): boolean {
  return MUTATING_METHODS.has(method.toUpperCase());
}

export function outcomeForStatus(statusCode: number | null): AuditOutcome {
  if (statusCode === 401 || statusCode === 403) return 'denied';
  if (statusCode !== null && statusCode >= 200 && statusCode < 400) return 'success';
  return 'failure';
}

function pathOf(originalUrl: string): string {
  const end = originalUrl.search(/[?#]/);
  return end === -1 ? originalUrl : originalUrl.slice(0, end);
}

function attemptedUsername(body: unknown): string | null {
  if (!body || typeof body !== 'object') return null;
  const username = (body as { username?: unknown }).username;
  return typeof username === 'string' && username !== '' ? username : null;
}

/**
 * The audit event for a request. The body is read only for the login route,
 * and only its `username`: never the password or any other field.
 */
export function httpAuditEvent(facts: HttpRequestFacts): AuditEventInput {
  const method = facts.method.toUpperCase();
  const path = pathOf(facts.originalUrl);
  // A wildcard pattern (`{/*splat}`: how Nest mounts app-wide middleware such
  // as the request logger) names no route; an unmatched request keeps it.
  const routePath = facts.routePath && !facts.routePath.includes('*') ? facts.routePath : undefined;
  const routeAction = `${method} ${routePath ?? path}`;
  const action = facts.auditAction || routeAction;
  const id = facts.params?.id;
  const actor = facts.actor;
  const detail: Record<string, unknown> = { path, durationMs: facts.durationMs };
  if (actor?.apiKeyId) detail.apiKeyId = actor.apiKeyId;
  if (facts.statusCode === null) detail.aborted = true;
  return {
    actorKind: actor ? actor.kind : 'anonymous',
    actorId: actor ? actor.userId : null,
    actorName: actor ? actor.name : routeAction === LOGIN_ROUTE ? attemptedUsername(facts.body) : null,
    action,
    resourceType: facts.auditResource?.type ?? path.split('/').find((segment) => segment !== '') ?? null,
    resourceId: facts.auditResource?.id ?? (routePath && typeof id === 'string' ? id : null),
    requestId: facts.requestId ?? null,
    address: facts.address ?? null,
    outcome: outcomeForStatus(facts.statusCode),
    statusCode: facts.statusCode,
    detail,
  };
}
