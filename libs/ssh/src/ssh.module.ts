import { Module } from '@nestjs/common';
import { SshConnector } from './ssh-connector';

/** The SSH capability: pinned-host-key connections and bounded command execution. */
@Module({
  providers: [SshConnector],
  exports: [SshConnector],
})
export class SshModule {}
