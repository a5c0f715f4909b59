import { INestApplication, Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { httpAuditEvent, HttpRequestFacts, isMutatingMethod } from './core/http-audit-event';
import { AuditService } from './audit.service';

/**
 * What handlers and the access guard leave on the request for the audit
 * trail (the same fields as `RequestWithActor` in @vulnzero/auth, plus an
 * optional action name).
 */
export interface AuditedRequest {
  id?: string;
  actor?: HttpRequestFacts['actor'];
  auditResource?: { type: string; id?: string };
  auditAction?: string;
}

/**
 * Records every POST/PUT/PATCH/DELETE in the audit trail once its response is
 * over, whatever it was: success, 401/403 from the guard, 400 from
 * validation, 413/400 from the body parser, 404, 429, 500, or a client that
 * hung up. Install it right after the request id middleware and before the
 * body parser, so requests the parser rejects are recorded too. Write errors
 * are logged with the request id; they never touch the response.
 */
export function recordMutatingRequests(app: INestApplication): void {
  const audit = app.get(AuditService);
  const logger = new Logger('Audit');
  app.use((req: Request & AuditedRequest, res: Response, next: NextFunction) => {
    if (!isMutatingMethod(req.method)) return next();
    const startedAt = Date.now();
    // 'close' also fires when the client goes away before the response, unlike 'finish'.
    res.once('close', () => {
      let recorded: Promise<unknown>;
      try {
        recorded = audit.record(
          httpAuditEvent({
            method: req.method,
            originalUrl: req.originalUrl,
            routePath: req.route ? `${req.baseUrl ?? ''}${(req.route as { path: string }).path}` : undefined,
            params: req.params,
            actor: req.actor,
            auditResource: req.auditResource,
            auditAction: req.auditAction,
            body: req.body as unknown,
            requestId: req.id,
            address: req.ip,
            statusCode: res.writableFinished ? res.statusCode : null,
            durationMs: Date.now() - startedAt,
          }),
        );
      } catch (error) {
        recorded = Promise.reject(error);
      }
      recorded.catch((error: unknown) =>
        logger.error({ err: error, requestId: req.id, method: req.method, url: req.originalUrl }, 'audit event not recorded'),
      );
    });
    next();
  });
}
