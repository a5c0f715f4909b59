import type { Command } from '../command';
import { deployCommand } from './deploy.command';
import { cancelCommand, promoteCommand, rollbackCommand } from './deployment-actions.command';
import { findingsCommand } from './findings.command';
import { logsCommand, retryCommand } from './operator-controls.command';
import { hostsImportCommand, hostsListCommand, hostsTrustCommand } from './hosts.command';
import { patchApproveCommand, patchCreateCommand } from './patch.command';
import { scanCommand } from './scan.command';
import { taskGetCommand, taskWaitCommand } from './task.command';

/** Every command, in the order the top-level help lists them. */
export const COMMANDS: Command[] = [
  deployCommand,
  scanCommand,
  findingsCommand,
  taskGetCommand,
  taskWaitCommand,
  rollbackCommand,
  retryCommand,
  logsCommand,
  promoteCommand,
  cancelCommand,
  hostsImportCommand,
  hostsListCommand,
  hostsTrustCommand,
  patchCreateCommand,
  patchApproveCommand,
];
