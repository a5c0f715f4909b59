import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@vulnzero/audit';
import { InventoryModule } from '@vulnzero/inventory';
import { PatchesModule } from '@vulnzero/patches';
import { SshModule } from '@vulnzero/ssh';
import { TasksModule } from '@vulnzero/tasks';
import { DeploymentEntity, DeploymentHostClaimEntity, DeploymentHostEntity, DeploymentStepEntity } from './deployment.entity';
import { DeploymentRecords } from './deployment-records';
import { DeploymentLease } from './deployment-lease';
import { DeploymentHostOutput } from './deployment-host-output';
import { DeploymentRollbackRequests } from './deployment-rollback-requests';
import { DeploymentPreparer } from './deployment-preparer';
import { HostClaims } from './host-claims';
import { ReachabilityProbe } from './engine/reachability-probe';
import { DeploymentEndings } from './deployment-endings';
import { DeploymentsService } from './deployments.service';
import { MaintenanceWindowEntity } from './maintenance-window.entity';
import { MaintenanceWindowsService } from './maintenance-windows.service';
import { DeployRunner } from './engine/deploy-runner';
import { DeploymentStatusWriter } from './engine/deployment-status-writer';
import { DeploymentGiveUp } from './engine/deployment-give-up';
import { HealthChecker } from './engine/health-checker';
import { HostPatcher } from './engine/host-patcher';
import { HostOutputPublisher } from './engine/host-output-publisher';
import { HostSessionsFactory } from './engine/host-sessions';
import { RollbackRunner } from './engine/rollback-runner';
import { TargetAddresses } from './target-addresses';
import { RollbackRetryCheck } from './engine/rollback-retry-check';

const ENTITIES = TypeOrmModule.forFeature([
  DeploymentEntity,
  DeploymentStepEntity,
  DeploymentHostEntity,
  DeploymentHostClaimEntity,
  MaintenanceWindowEntity,
]);

/** Deployments as the gateway sees them: create, read, promote, cancel, roll back. */
@Module({
  imports: [ENTITIES, InventoryModule, PatchesModule, TasksModule, SshModule, AuditModule],
  providers: [
    DeploymentRecords,
    DeploymentEndings,
    DeploymentsService,
    DeploymentPreparer,
    DeploymentHostOutput,
    DeploymentRollbackRequests,
    HostClaims,
    ReachabilityProbe,
    MaintenanceWindowsService,
    TargetAddresses,
  ],
  exports: [DeploymentsService, MaintenanceWindowsService],
})
export class DeploymentsModule {}

/** The deploy engine, for workers: runs deployments and rollbacks over SSH. */
@Module({
  imports: [ENTITIES, InventoryModule, PatchesModule, TasksModule, SshModule, AuditModule],
  providers: [
    DeploymentRecords,
    DeploymentLease,
    DeploymentEndings,
    DeployRunner,
    DeploymentStatusWriter,
    DeploymentGiveUp,
    RollbackRunner,
    RollbackRetryCheck,
    HostPatcher,
    HostOutputPublisher,
    HealthChecker,
    HostSessionsFactory,
  ],
  exports: [DeployRunner, DeploymentGiveUp],
})
export class DeploymentEngineModule {}
