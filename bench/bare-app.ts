// The gateway load bench's baseline: the smallest NestJS (Express) app, one
// route returning a constant, no guards, logging, validation or database.
// `node dist/bench/bare-app.js <port>`
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

@Controller()
class ConstantController {
  @Get()
  constant() {
    return { status: 'ok' };
  }
}

@Module({ controllers: [ConstantController] })
class BareModule {}

async function bootstrap(): Promise<void> {
  const port = Number(process.argv[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error('usage: bare-app.js <port>');
  const app = await NestFactory.create(BareModule, { logger: false });
  app.enableShutdownHooks();
  await app.listen(port, '127.0.0.1');
}

bootstrap().catch((error: Error) => {
  process.stderr.write(`bare app failed: ${error.message}\n`);
  process.exit(1);
});
