import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AppConfig, ConfigModule } from '@vulnzero/config';
import { DatabaseModule } from '@vulnzero/database';
import { HostClaimsModule } from '@vulnzero/deployments';
import { HttpErrorFilter } from '@vulnzero/http';
import { LoggingModule } from '@vulnzero/logging';
import { GatewayMetricsModule } from '@vulnzero/metrics';
import { QueuesModule, RedisModule } from '@vulnzero/queues';
import { HealthModule } from './health/health.module';
import { AuditApiModule } from './audit/audit-api.module';
import { AccessHttpModule } from './auth/access-http.module';
import { InventoryHttpModule } from './inventory/inventory-http.module';
import { PatchesHttpModule } from './patches/patches-http.module';
import { DeploymentsHttpModule } from './deployments/deployments-http.module';
import { MaintenanceWindowsHttpModule } from './maintenance-windows/maintenance-windows-http.module';
import { TasksHttpModule } from './tasks/tasks-http.module';
import { ScansHttpModule } from './scans/scans-http.module';

@Module({})
export class GatewayModule {
  static forRoot(config: AppConfig) {
    return {
      module: GatewayModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot('gateway'),
        GatewayMetricsModule.forRoot(),
        DatabaseModule.forRoot('vulnzero-gateway'),
        RedisModule,
        HostClaimsModule,
        QueuesModule.forRoot(),
        // Routes are matched in the order their modules come: the ones polled
        // most (probes, then CI pipelines and pages waiting on a task) first.
        HealthModule,
        TasksHttpModule,
        AuditApiModule,
        AccessHttpModule,
        InventoryHttpModule,
        PatchesHttpModule,
        DeploymentsHttpModule,
        MaintenanceWindowsHttpModule,
        ScansHttpModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: HttpErrorFilter }],
    };
  }
}
