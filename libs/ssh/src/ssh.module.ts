import { Module } from '@nestjs/common';
import { HostNetworks } from './host-networks';
import { SshConnector } from './ssh-connector';

/** The SSH capability: pinned-host-key connections and bounded command execution. */
@Module({
  providers: [HostNetworks, SshConnector],
  exports: [HostNetworks, SshConnector],
})
export class SshModule {}
