import { INestApplication, Injectable, NestMiddleware } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { NextFunction, Request, Response } from 'express';
import type { Histogram } from 'prom-client';
import { routeLabel } from './core/route-label';
import { METRIC } from './metric-definitions';

/**
 * Times every gateway request, labelled by route pattern (never the concrete
 * path) and status. Measured when the response is done, so requests a guard
 * refuses (401, 403, 429) and errors count too; a client that hangs up is
 * counted with status 499, as nginx does.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(@InjectMetric(METRIC.httpRequestSeconds) private readonly duration: Histogram<'method' | 'route' | 'status'>) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const started = process.hrtime.bigint();
    // 'close' follows 'finish' on every response, and also comes alone when the client hangs up.
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeLabel(req.baseUrl, (req.route as { path?: unknown } | undefined)?.path);
      const status = res.writableFinished ? res.statusCode : 499;
      this.duration.observe({ method: req.method, route, status: String(status) }, seconds);
    });
    next();
  }
}

/**
 * Mounts the request timing as a plain Express middleware. Call it after the
 * docs and the console are mounted, right before the API routes: where Nest
 * would put a module's middleware, without the route match and dispatch that
 * a Nest-mounted middleware costs on every request.
 */
export function timeHttpRequests(app: INestApplication): void {
  const metrics = app.get(HttpMetricsMiddleware);
  app.use((req: Request, res: Response, next: NextFunction) => metrics.use(req, res, next));
}
