import { Module } from '@nestjs/common';
import { ScansModule } from '@vulnzero/scans';
import { AdvisoriesController, FindingsController, ScansController } from './scans.controller';

/** POST/GET /scans, GET /findings, POST /findings/:id/patch, POST /advisories/import. */
@Module({
  imports: [ScansModule],
  controllers: [ScansController, FindingsController, AdvisoriesController],
})
export class ScansHttpModule {}
