import type { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { PinoLogger } from 'nestjs-pino';

/** Request paths polled by probes and scrapers: one log line each would drown the rest. */
const QUIET_PATHS = ['/health/', '/metrics'];

/**
 * One line per request once its response is over (or the client went away):
 * request id, method, URL, status and milliseconds, written through the root
 * logger (its level, `app` field and mixin). Install it right after the
 * request id middleware, so requests the body parser rejects are logged too.
 */
export function logCompletedRequests(app: INestApplication): void {
  // The line's fields are fixed (ids, method, URL, status, milliseconds): none
  // is a redaction path, so it skips the redaction pass app logs go through.
  // Add no header or body field here.
  const logger = PinoLogger.root.child({}, { redact: [] });
  app.use((req: Request & { id?: string }, res: Response, next: NextFunction) => {
    const url = req.originalUrl;
    if (QUIET_PATHS.some((path) => url.startsWith(path)) || !logger.isLevelEnabled('info')) return next();
    const startedAt = Date.now();
    // 'close' follows 'finish' on every response, and also comes alone when the client hangs up.
    res.once('close', () => {
      // The messages and keys pino-http wrote: "request errored" with an `err` for a 5xx,
      // "request aborted" when the client went away before the response ended.
      const statusCode = res.statusCode;
      const line = {
        req: { id: req.id, method: req.method, url },
        requestId: req.id,
        res: { statusCode },
        responseTime: Date.now() - startedAt,
      };
      if (statusCode >= 500) {
        logger.info({ ...line, err: { type: 'Error', message: `failed with status code ${statusCode}` } }, 'request errored');
      } else {
        logger.info(line, !req.readableAborted && res.writableEnded ? 'request completed' : 'request aborted');
      }
    });
    next();
  });
}
