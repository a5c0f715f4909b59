import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { once } from 'node:events';
import { register } from 'prom-client';
import { APP_CONFIG, AppConfig } from '@vulnzero/config';
import { checkScrapeToken } from './core/scrape-token';

/**
 * A worker has no HTTP server of its own; with METRICS_PORT set it listens
 * there for Prometheus (GET /metrics) and a liveness probe (GET /health/live).
 * When METRICS_TOKEN is set the scrape needs it here too.
 */
@Injectable()
export class WorkerMetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerMetricsServer.name);
  private server?: Server;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.metricsPort === null) return;
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: Error) => {
        this.logger.error({ err: error }, 'metrics request failed');
        if (!res.headersSent)
          this.json(res, 500, { statusCode: 500, error: 'Internal Server Error', message: 'metrics could not be collected' });
        else res.destroy();
      });
    });
    server.listen(this.config.metricsPort, this.config.host);
    // A port already taken stops the worker at start, naming the port, rather than running unobserved.
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([error]) => {
        throw new Error(`METRICS_PORT ${this.config.metricsPort}: ${(error as Error).message}`);
      }),
    ]);
    this.server = server;
    this.logger.log(`metrics listening on ${this.config.host}:${this.config.metricsPort}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return this.json(res, 405, { statusCode: 405, error: 'Method Not Allowed', message: `${req.method} is not allowed` });
    }
    if (path === '/health/live') return this.json(res, 200, { status: 'ok' });
    if (path !== '/metrics') return this.json(res, 404, { statusCode: 404, error: 'Not Found', message: `Cannot GET ${path}` });
    if (this.config.metricsToken !== '') {
      const verdict = checkScrapeToken(this.config.metricsToken, req.headers.authorization);
      if (verdict !== 'ok') {
        res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
        return this.json(res, 401, {
          statusCode: 401,
          error: 'Unauthorized',
          message:
            verdict === 'missing'
              ? 'a metrics scrape token is required: Authorization: Bearer <METRICS_TOKEN>'
              : 'the metrics scrape token is not valid',
        });
      }
    }
    const body = await register.metrics();
    res.writeHead(200, { 'Content-Type': register.contentType, 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private json(res: ServerResponse, status: number, body: object): void {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
    res.end(JSON.stringify(body));
  }
}
