import { Injectable, Logger } from '@nestjs/common';
import { mapLimit } from '@vulnzero/async';
import type { PatchDefinition } from '@vulnzero/patches';
import type { CommandRecord, DeploymentHostEntity } from '../deployment.entity';
import { DeploymentRecords } from '../deployment-records';
import { RollbackRetrySelection, SkippedHost, verifyStillHolds } from '../core/rollback-retry';
import type { VerifyRun } from '../core/verify-verdict';
import { runRecorded } from './command-record';
import type { HostSessions } from './host-sessions';

/**
 * Before a failed rollback is retried on a host, its `verify` must still pass:
 * the change is still there, so undoing it is what the host needs. A host
 * where it does not (the change is gone, or verify cannot tell) is left as it
 * is, its record saying why, never rolled back blindly nor marked rolled_back.
 */
@Injectable()
export class RollbackRetryCheck {
  private readonly logger = new Logger(RollbackRetryCheck.name);

  constructor(private readonly records: DeploymentRecords) {}

  /** `hosts` in rollback order; the answer keeps it. At most `parallel` hosts at once. */
  async check(
    deploymentId: string,
    hosts: DeploymentHostEntity[],
    patch: PatchDefinition,
    sessions: HostSessions,
    parallel: number,
  ): Promise<RollbackRetrySelection> {
    const holds = new Map<string, boolean>();
    const skipped: SkippedHost[] = [];
    await mapLimit(hosts, parallel, async (host) => {
      const reason = await this.reasonToSkip(deploymentId, host, patch, sessions);
      holds.set(host.hostId, reason === null);
      if (reason === null) return;
      skipped.push({ hostId: host.hostId, hostName: host.hostName, reason });
      this.logger.warn({ deploymentId, host: host.hostName, reason }, 'rollback not retried on host');
      await this.records.noteHostError(deploymentId, host.hostId, `rollback not retried: ${reason}`);
    });
    const order = new Map(hosts.map((h, i) => [h.hostId, i]));
    return {
      hostIds: hosts.filter((h) => holds.get(h.hostId)).map((h) => h.hostId),
      skipped: skipped.sort((a, b) => (order.get(a.hostId) ?? 0) - (order.get(b.hostId) ?? 0)),
    };
  }

  /** Null when verify still passes on the host. */
  private async reasonToSkip(
    deploymentId: string,
    host: DeploymentHostEntity,
    patch: PatchDefinition,
    sessions: HostSessions,
  ): Promise<string | null> {
    if (!patch.verify) return (verifyStillHolds(null, patch.timeoutSeconds) as { reason: string }).reason;
    let run: VerifyRun;
    const output: CommandRecord[] = [];
    try {
      const session = await sessions.session(host.hostId);
      const record = await runRecorded(session, 'verify', patch.verify, patch.timeoutSeconds * 1000);
      output.push(record);
      run = { exitCode: record.exitCode, timedOut: record.timedOut, stderr: record.stderr };
    } catch (error) {
      return `verify could not run: ${(error as Error).message}`;
    } finally {
      await this.records.appendOutput(deploymentId, host.hostId, output);
    }
    const outcome = verifyStillHolds(run, patch.timeoutSeconds);
    return outcome.holds ? null : outcome.reason;
  }
}
