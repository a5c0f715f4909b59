import { INestApplication, Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { httpAuditEvent, isMutatingMethod, outcomeForStatus } from './core/http-audit-event';
import { AuditService } from './audit.service';
import type { AuditedRequest } from './audit-request-context';

/**
 * Records every POST/PUT/PATCH/DELETE in the audit trail once its response is
 * over, whatever it was: 401/403 from the guard, 400 from validation, 413/400
 * from the body parser, 404, 429, 500, a client that hung up, or a success no
 * service recorded. A successful change whose service recorded it in its own
 * transaction (`AuditService.recordChange`) already has its row, which says
 * what changed: no second one. Install it right after the request id
 * middleware and before the body parser, so requests the parser rejects are
 * recorded too. Write errors are logged with the request id; they never touch
 * the response.
 */
export function recordMutatingRequests(app: INestApplication): void {
  const audit = app.get(AuditService);
  const logger = new Logger('Audit');
  app.use((req: Request & AuditedRequest, res: Response, next: NextFunction) => {
    if (!isMutatingMethod(req.method)) return next();
    const startedAt = Date.now();
    // 'close' also fires when the client goes away before the response, unlike 'finish'.
    res.once('close', () => {
      const statusCode = res.writableFinished ? res.statusCode : null;
      if (req.auditRecorded && outcomeForStatus(statusCode) === 'success') return;
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
            statusCode,
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
