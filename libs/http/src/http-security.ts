import type { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { assignRequestId } from './request-id';

type Header = readonly [name: string, value: string];

/**
 * The headers a helmet middleware sets, computed once: with no function in
 * the CSP (no nonces) none of them depends on the request, so each request
 * only copies them. Helmet 8 sets them synchronously; anything else fails at start.
 */
function headersOf(middleware: ReturnType<typeof helmet>): readonly Header[] {
  const headers: Header[] = [];
  const recorder = {
    setHeader: (name: string, value: unknown) => headers.push([name, String(value)]),
    // Helmet removes X-Powered-By, which Express is told not to send at all.
    removeHeader: () => undefined,
  };
  let finished = false;
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error instanceof Error ? error : new Error(String(error));
    finished = true;
  });
  if (!finished) throw new Error('helmet did not set its headers synchronously');
  return headers;
}

export interface HttpSecurityOptions {
  corsOrigins: string[];
  bodyLimitBytes: number;
  trustProxy: boolean | number;
}

/**
 * Security headers, CORS and body limits for a gateway. The CSP is strict by
 * default (no inline script or style); only the API docs page gets the
 * inline styles Swagger UI needs.
 */
export function applyHttpSecurity(app: INestApplication, options: HttpSecurityOptions): void {
  const express = app.getHttpAdapter().getInstance();
  express.set('trust proxy', options.trustProxy);
  express.disable('x-powered-by');
  // Both pages: nothing from elsewhere, no plugins, never framed, no HSTS here
  // (it makes sense over TLS only and is set per request below).
  const base = {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    objectSrc: ["'none'"],
    frameAncestors: ["'none'"],
  };
  const strict = headersOf(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          ...base,
          styleSrc: ["'self'"],
          connectSrc: ["'self'"],
          fontSrc: ["'self'"],
          baseUri: ["'none'"],
          formAction: ["'self'"],
        },
      },
      frameguard: { action: 'deny' },
      strictTransportSecurity: false,
      referrerPolicy: { policy: 'no-referrer' },
    }),
  );
  // The API docs page: Swagger UI needs inline styles.
  const docs = headersOf(
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: { ...base, styleSrc: ["'self'", "'unsafe-inline'"] } },
      frameguard: { action: 'deny' },
      strictTransportSecurity: false,
    }),
  );
  // First middleware of all, so even a body the parser rejects gets a request id and the headers.
  app.use((req: Request & { id?: string }, res: Response, next: NextFunction) => {
    req.id = assignRequestId(req, res);
    for (const [name, value] of req.path.startsWith('/docs') ? docs : strict) res.setHeader(name, value);
    if (req.secure) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    next();
  });

  if (options.corsOrigins.length > 0) {
    app.enableCors({
      origin: options.corsOrigins,
      credentials: false,
      methods: ['GET', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
      exposedHeaders: ['X-Request-Id', 'Retry-After'],
      maxAge: 600,
    });
  }
}
