import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@vulnzero/audit';
import { SshModule } from '@vulnzero/ssh';
import { CredentialEntity } from './credential.entity';
import { CredentialsService } from './credentials.service';
import { HostEntity } from './host.entity';
import { HostAddressCheck } from './host-address-check';
import { HostsService } from './hosts.service';
import { SecretBox } from './secret-box';

/**
 * The inventory: SSH credentials (sealed at rest) and hosts (labels, pinned
 * host keys). Needs ConfigModule (the master key) and a TypeORM connection.
 */
@Module({
  imports: [TypeOrmModule.forFeature([CredentialEntity, HostEntity]), SshModule, AuditModule],
  providers: [SecretBox, CredentialsService, HostAddressCheck, HostsService],
  exports: [CredentialsService, HostsService],
})
export class InventoryModule {}
