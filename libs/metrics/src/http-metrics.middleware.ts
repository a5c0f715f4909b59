import { Injectable, NestMiddleware } from '@nestjs/common';
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
    let recorded = false;
    const record = (status: number) => {
      if (recorded) return;
      recorded = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeLabel(req.baseUrl, (req.route as { path?: unknown } | undefined)?.path);
      this.duration.observe({ method: req.method, route, status: String(status) }, seconds);
    };
    res.once('finish', () => record(res.statusCode));
    res.once('close', () => record(res.writableFinished ? res.statusCode : 499));
    next();
  }
}
