import { Module } from '@nestjs/common';
import { DeploymentsModule } from '@vulnzero/deployments';
import { DeploymentsController } from './deployments.controller';
import { HostOutputStream } from './host-output-stream';

@Module({
  imports: [DeploymentsModule],
  controllers: [DeploymentsController],
  providers: [HostOutputStream],
})
export class DeploymentsHttpModule {}
