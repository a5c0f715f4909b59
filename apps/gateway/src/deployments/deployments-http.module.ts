import { Module } from '@nestjs/common';
import { DeploymentsModule } from '@vulnzero/deployments';
import { DeploymentsController } from './deployments.controller';

@Module({
  imports: [DeploymentsModule],
  controllers: [DeploymentsController],
})
export class DeploymentsHttpModule {}
