import { AsyncLocalStorage } from 'node:async_hooks';
import type { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { HttpRequestFacts } from './core/http-audit-event';

/**
 * What handlers and the access guard leave on the request for the audit
 * trail (the same fields as `RequestWithActor` in @vulnzero/auth, plus an
 * optional action name and whether the change was recorded in its transaction).
 */
export interface AuditedRequest {
  id?: string;
  ip?: string;
  actor?: HttpRequestFacts['actor'];
  auditResource?: { type: string; id?: string };
  auditAction?: string;
  /** Set by `AuditService.recordChange`: the change's own row says what happened. */
  auditRecorded?: boolean;
}

const requests = new AsyncLocalStorage<AuditedRequest>();

/**
 * Makes the request the scope of every change a service records while it is
 * handled: `AuditService.recordChange` reads the caller, request id and
 * address from it, so services need no extra parameters to say who asked.
 * Install after the body parser (a parser's stream callbacks would lose the
 * scope); the guard sets `req.actor` later on this same object.
 */
export function scopeChangesToRequest(app: INestApplication): void {
  app.use((req: Request & AuditedRequest, _res: Response, next: NextFunction) => requests.run(req, next));
}

/** The request whose handling the caller is part of, if any. */
export function currentAuditedRequest(): AuditedRequest | undefined {
  return requests.getStore();
}

/** Runs `work` as if handling `request` (tests, and callers outside Express). */
export function withAuditedRequest<T>(request: AuditedRequest, work: () => T): T {
  return requests.run(request, work);
}
