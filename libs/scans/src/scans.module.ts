import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@vulnzero/audit';
import { InventoryModule } from '@vulnzero/inventory';
import { PatchesModule } from '@vulnzero/patches';
import { SshModule } from '@vulnzero/ssh';
import { TasksModule } from '@vulnzero/tasks';
import { AdvisoriesService } from './advisories.service';
import { FindingsRecorder } from './engine/findings-recorder';
import { HostScanner } from './engine/host-scanner';
import { ScanRunner } from './engine/scan-runner';
import { FindingsService } from './findings.service';
import { SCAN_ENTITIES } from './scan.entities';
import { ScansService } from './scans.service';

const ENTITIES = TypeOrmModule.forFeature(SCAN_ENTITIES);

/** Scans, findings and advisories as the gateway sees them. Needs QueuesModule (global) for the scan queue. */
@Module({
  imports: [ENTITIES, InventoryModule, PatchesModule, TasksModule, AuditModule],
  providers: [ScansService, FindingsService, AdvisoriesService],
  exports: [ScansService, FindingsService, AdvisoriesService],
})
export class ScansModule {}

/** The scan engine, for workers: inventories hosts over SSH and records findings. */
@Module({
  imports: [ENTITIES, InventoryModule, SshModule, TasksModule],
  providers: [ScanRunner, HostScanner, FindingsRecorder],
  exports: [ScanRunner],
})
export class ScanEngineModule {}
