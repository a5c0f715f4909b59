import { Module } from '@nestjs/common';
import { PatchesModule } from '@vulnzero/patches';
import { PatchesController } from './patches.controller';

/** POST/GET /patches, GET /patches/:id, POST /patches/:id/approve. */
@Module({
  imports: [PatchesModule],
  controllers: [PatchesController],
})
export class PatchesHttpModule {}
