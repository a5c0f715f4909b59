import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { loadConfigOrExit } from '@vulnzero/config';
import { applyHttpSecurity, createValidationPipe, weakEtag } from '@vulnzero/http';
import { recordMutatingRequests, scopeChangesToRequest } from '@vulnzero/audit';
import { logCompletedRequests } from '@vulnzero/logging';
import { timeHttpRequests } from '@vulnzero/metrics';
import { GatewayModule } from './gateway.module';
import { setupOpenApi } from './docs/openapi';
import { leaveAdvisoryImportBodyOnStream } from './scans/advisory-import-body';
import { serveConsole } from './console/serve-console';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit('gateway');
  const app = await NestFactory.create<NestExpressApplication>(GatewayModule.forRoot(config), {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  applyHttpSecurity(app, config);
  // Express's default ETag (conditional GETs of polled tasks), computed more cheaply.
  app.set('etag', weakEtag);
  logCompletedRequests(app);
  // Before the body parser, so requests it rejects (400, 413) are audited too.
  recordMutatingRequests(app);
  // The advisory import streams bodies far larger than the JSON limit: keep the parser off it.
  app.use(leaveAdvisoryImportBodyOnStream);
  app.useBodyParser('json', { limit: config.bodyLimitBytes });
  // After the parser (its stream callbacks would lose the scope): services record their changes under this request.
  scopeChangesToRequest(app);
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  // Closing waits for Redis and PostgreSQL clients; with one of them down it
  // could wait forever, so a stop signal is bounded.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => setTimeout(() => process.exit(0), 10_000).unref());
  }
  setupOpenApi(app, process.env.npm_package_version ?? '0.1.0');
  serveConsole(app);
  timeHttpRequests(app);
  await app.listen(config.port, config.host);
  // Longer than clients' and load balancers' idle timeouts, so a pooled
  // connection is never closed by us while a client sends on it.
  const server = app.getHttpServer() as import('node:http').Server;
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  app.get(Logger).log(`gateway listening on ${config.host}:${config.port}`);
}

bootstrap().catch((error: Error) => {
  process.stderr.write(`gateway failed to start: ${error.message}\n`);
  process.exit(1);
});
