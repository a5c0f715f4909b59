import type { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { assignRequestId } from './request-id';

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
  // First middleware of all, so even a body the parser rejects gets a request id.
  app.use((req: Request & { id?: string }, res: Response, next: NextFunction) => {
    req.id = assignRequestId(req, res);
    next();
  });

  const strict = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    // HSTS only makes sense over TLS; set below when the request came over it.
    strictTransportSecurity: false,
    referrerPolicy: { policy: 'no-referrer' },
  });
  const docs = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    strictTransportSecurity: false,
  });
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.secure) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    return (req.path.startsWith('/docs') ? docs : strict)(req, res, next);
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
