import { Module } from '@nestjs/common';
import { DeploymentsModule } from '@vulnzero/deployments';
import { MaintenanceWindowsController } from './maintenance-windows.controller';

/** POST/GET /maintenance-windows, GET/DELETE /maintenance-windows/:id. */
@Module({
  imports: [DeploymentsModule],
  controllers: [MaintenanceWindowsController],
})
export class MaintenanceWindowsHttpModule {}
