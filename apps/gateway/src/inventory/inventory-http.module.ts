import { Module } from '@nestjs/common';
import { InventoryModule } from '@vulnzero/inventory';
import { CredentialsController } from './credentials.controller';
import { HostsController } from './hosts.controller';

/** HTTP face of the inventory: credentials and hosts. */
@Module({
  imports: [InventoryModule],
  controllers: [CredentialsController, HostsController],
})
export class InventoryHttpModule {}
