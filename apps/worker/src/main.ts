import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { loadConfigOrExit } from '@vulnzero/config';
import { WorkerModule } from './worker.module';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit('worker');
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  const logger = app.get(Logger);
  app.useLogger(logger);

  // Closing the app closes the BullMQ workers, which waits for in-flight jobs
  // (their host commands finish and are recorded); the timer bounds that wait
  // so an orchestrator's kill deadline is respected.
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.log(`${signal}: finishing in-flight jobs (at most ${config.workerShutdownTimeoutSeconds}s)`);
      setTimeout(() => {
        logger.error('shutdown timeout reached; exiting with jobs still in flight');
        process.exit(1);
      }, config.workerShutdownTimeoutSeconds * 1000).unref();
      app
        .close()
        .then(() => {
          logger.log('worker stopped');
          process.exit(0);
        })
        .catch((error: Error) => {
          logger.error({ err: error }, 'error while stopping');
          process.exit(1);
        });
    });
  }
  await app.init();
  logger.log(`worker ready (concurrency ${config.workerConcurrency} per queue)`);
}

bootstrap().catch((error: Error) => {
  process.stderr.write(`worker failed to start: ${error.message}\n`);
  process.exit(1);
});
