import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AppConfig, ConfigModule } from '@vulnzero/config';
import { DatabaseModule } from '@vulnzero/database';
import { HttpErrorFilter } from '@vulnzero/http';
import { LoggingModule } from '@vulnzero/logging';
import { QueuesModule, RedisModule } from '@vulnzero/queues';
import { HealthModule } from './health/health.module';
import { AccessHttpModule } from './auth/access-http.module';

@Module({})
export class GatewayModule {
  static forRoot(config: AppConfig) {
    return {
      module: GatewayModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot('gateway'),
        DatabaseModule.forRoot('vulnzero-gateway'),
        RedisModule,
        QueuesModule.forRoot(),
        HealthModule,
        AccessHttpModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: HttpErrorFilter }],
    };
  }
}
