import { Module } from '@nestjs/common';
import { LiveEventsModule } from '../live-events/live-events.module';
import { DeploymentsModule } from '@vulnzero/deployments';
import { DeploymentsController } from './deployments.controller';
import { HostOutputStream } from './host-output-stream';

@Module({
  imports: [DeploymentsModule, LiveEventsModule],
  controllers: [DeploymentsController],
  providers: [HostOutputStream],
})
export class DeploymentsHttpModule {}
