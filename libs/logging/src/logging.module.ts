import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { APP_CONFIG, AppConfig } from '@vulnzero/config';
import { assignRequestId } from '@vulnzero/http';
import { currentLogContext } from './log-context';

/** Fields that may carry a secret anywhere in a log object: never printed. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.passphrase',
  '*.privateKey',
  '*.key',
  '*.token',
  '*.accessToken',
  '*.secret',
];

/** Request paths polled by probes and scrapers: one log line each would drown the rest. */
const QUIET_PATHS = ['/health/', '/metrics'];

/**
 * JSON logs (pino) for every app. Gateways log each request with its request
 * id; workers log with the task, deployment and host ids bound by
 * `withLogContext` where a job or a host pipeline starts (pino's mixin adds
 * them to every line written inside).
 */
@Module({})
export class LoggingModule {
  static forRoot(app: string): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => ({
            pinoHttp: {
              level: config.logLevel,
              base: { app },
              // Fields a caller passes explicitly win over the bound context.
              mixin: () => ({ ...currentLogContext() }),
              redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
              genReqId: (req, res) => (req as { id?: string }).id ?? assignRequestId(req, res),
              customProps: (req) => ({ requestId: (req as { id?: unknown }).id }),
              autoLogging: { ignore: (req) => QUIET_PATHS.some((path) => (req.url ?? '').startsWith(path)) },
              serializers: {
                req: (req: { id: unknown; method: string; url: string }) => ({
                  id: req.id,
                  method: req.method,
                  url: req.url,
                }),
                res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
              },
            },
          }),
        }),
      ],
    };
  }
}
