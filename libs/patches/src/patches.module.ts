import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@vulnzero/audit';
import { PatchEntity } from './patch.entity';
import { PatchesService } from './patches.service';

/** Patches: validated definitions, drafts and approvals. Needs a TypeORM connection. */
@Module({
  imports: [TypeOrmModule.forFeature([PatchEntity]), AuditModule],
  providers: [PatchesService],
  exports: [PatchesService],
})
export class PatchesModule {}
