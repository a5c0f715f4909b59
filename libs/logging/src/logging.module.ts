import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { APP_CONFIG, AppConfig } from '@vulnzero/config';
import { currentLogContext } from './log-context';
import { serializeError } from './error-serializer';

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

/**
 * JSON logs (pino) for every app, through nestjs-pino's Logger. Gateways log
 * each request with its request id (`logCompletedRequests`); workers log with
 * the task, deployment and host ids bound by `withLogContext` where a job or a
 * host pipeline starts (pino's mixin adds them to every line written inside).
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
            // pino-http only builds the root logger here: its per-request middleware
            // (a child logger, serializers and an AsyncLocalStorage context for every
            // request) is not mounted; `logCompletedRequests` writes the request lines.
            // So an app line written during a request does not carry the request
            // implicitly: pass `requestId` where it matters (the error filter and
            // the audit recorder do). The context cost a tenth of GET /tasks/:id's rps.
            forRoutes: [],
            pinoHttp: {
              level: config.logLevel,
              base: { app },
              // Fields a caller passes explicitly win over the bound context.
              mixin: () => ({ ...currentLogContext() }),
              redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
              // Plain serializers: the request lines pass the fields they print.
              wrapSerializers: false,
              serializers: {
                err: serializeError,
                req: (req: { id: unknown; method: string; originalUrl?: string; url: string }) => ({
                  id: req.id,
                  method: req.method,
                  url: req.originalUrl ?? req.url,
                }),
                res: (res: { statusCode: number | null }) => ({ statusCode: res.statusCode }),
              },
            },
          }),
        }),
      ],
    };
  }
}
