import { Injectable, Logger } from '@nestjs/common';
import { mapLimit } from '@vulnzero/async';
import type { PatchDefinition } from '@vulnzero/patches';
import { ProgressWriter, TaskEventsPublisher, TasksService } from '@vulnzero/tasks';
import type { CommandRecord, DeploymentHostEntity } from '../deployment.entity';
import { DeploymentRecords } from '../deployment-records';
import { describeFailure, runRecorded } from './command-record';
import { hostRollbacksTotal, observeHostOperation } from './engine-metrics';
import { HealthChecker } from './health-checker';
import { judgeVerify } from '../core/verify-verdict';
import { parseRestartReport, type HostRestartReports } from '../core/restart-report';
import { pinnedAddress, type HostSessions } from './host-sessions';

export interface RollbackOutcome {
  status: 'rolled_back' | 'rollback_failed';
  failedHosts: string[];
}

/**
 * Undoes a deployment host by host: the stored commands in order, then the
 * health checks, then `verify` must fail (the change is gone); a package
 * patch's stored commands end with their own proof instead (apt-scripts.ts). A host whose
 * rollback fails is `rollback_failed` with the command and its output; the
 * others still roll back. A status here always has commands behind it.
 */
@Injectable()
export class RollbackRunner {
  private readonly logger = new Logger(RollbackRunner.name);

  constructor(
    private readonly records: DeploymentRecords,
    private readonly health: HealthChecker,
    private readonly tasks: TasksService,
    private readonly events: TaskEventsPublisher,
  ) {}

  /** `hostIds` in rollback order (newest change first); at most `parallel` hosts at once, started in that order. */
  async run(
    deploymentId: string,
    rollbackTaskId: string,
    hostIds: string[],
    patch: PatchDefinition,
    sessions: HostSessions,
    parallel: number,
  ): Promise<RollbackOutcome> {
    await this.tasks.transition(rollbackTaskId, 'running', {
      progress: { phase: 'rolling back', done: 0, total: hostIds.length, percent: 0 },
    });
    this.events.publish(rollbackTaskId, { type: 'task', status: 'running' });
    const run = await this.records.load(deploymentId);
    if (!run) throw new Error(`deployment ${deploymentId} not found`);
    // Host transitions go to the deploy task's followers too: a CI job waiting
    // on the deployment sees its rollback host by host.
    const notify = [rollbackTaskId, ...(run.deployment.taskId ? [run.deployment.taskId] : [])];
    const byId = new Map(run.hosts.map((h) => [h.hostId, h]));
    const hosts = hostIds.map((id) => byId.get(id)).filter((h): h is DeploymentHostEntity => h !== undefined);
    let done = 0;
    const failed: string[] = [];
    // Coalesced: one write of the task row per host rolled back would be one per host of the deployment.
    const progress = new ProgressWriter((value) => this.tasks.updateProgress(rollbackTaskId, value));
    await mapLimit(hosts, parallel, async (host) => {
      const ok = await this.rollbackHost(deploymentId, notify, host, patch, sessions);
      if (!ok) failed.push(host.hostName);
      done += 1;
      await progress.report({
        phase: 'rolling back',
        done,
        total: hostIds.length,
        percent: Math.floor((done / Math.max(hostIds.length, 1)) * 100),
      });
    });
    // Written before the caller's final transition, so no trailing write lands after it.
    await progress.flush();
    return { status: failed.length > 0 ? 'rollback_failed' : 'rolled_back', failedHosts: failed };
  }

  private async rollbackHost(
    deploymentId: string,
    taskIds: string[],
    host: DeploymentHostEntity,
    patch: PatchDefinition,
    sessions: HostSessions,
  ): Promise<boolean> {
    const started = Date.now();
    const timeoutMs = patch.timeoutSeconds * 1000;
    const output: CommandRecord[] = [];
    await this.records.transitionHost(deploymentId, host.hostId, host.status, 'rolling_back', { rollbackStartedAt: new Date() });
    for (const taskId of taskIds)
      this.events.publish(taskId, { type: 'host', hostId: host.hostId, hostName: host.hostName, status: 'rolling_back' });
    let failure: string | null = null;
    let exitCode: number | null = null;
    let restartReport: HostRestartReports | undefined;
    try {
      // Nothing to run is never a rollback: the host stays as the record says it was changed.
      if (!host.rollbackCommands || host.rollbackCommands.length === 0) throw new Error('no rollback commands were stored for this host');
      const session = await sessions.session(host.hostId);
      for (const command of host.rollbackCommands) {
        const record = await runRecorded(session, 'rollback', command, timeoutMs, undefined, deploymentId);
        output.push(record);
        exitCode = record.exitCode;
        if (record.exitCode !== 0) throw new Error(describeFailure(record));
      }
      if (patch.report) {
        // What the rollback left running on old code, before the health checks (as after apply).
        const record = await runRecorded(session, 'rollback-report', patch.report, timeoutMs, undefined, deploymentId);
        output.push(record);
        if (record.exitCode === 0)
          restartReport = { ...(host.restartReport ?? {}), afterRollback: parseRestartReport(record.stdout, new Date()) };
      }
      const health = await this.health.check(patch.healthChecks, session, pinnedAddress(host), 'rollback-health');
      output.push(...health.records);
      if (!health.passed) throw new Error(`health after rollback: ${health.failure ?? 'failed'}`);
      // A package patch's rollback proves itself: its last command fails unless every planned
      // package is back at its captured version and status. Its verify would prove nothing more,
      // and wrongly fail a host that already had the new version (an empty plan, nothing to undo).
      if (patch.verify && !patch.package) {
        const record = await runRecorded(session, 'rollback-verify', patch.verify, timeoutMs, undefined, deploymentId);
        output.push(record);
        // Only a verify that ran to completion and failed proves the change is gone.
        const verdict = judgeVerify(record, patch.timeoutSeconds);
        if (verdict.kind === 'present') throw new Error('verify still passes after the rollback: the change is still on the host');
        if (verdict.kind === 'unknown') throw new Error(`${verdict.reason}: the rollback is not proven`);
      }
    } catch (error) {
      failure = (error as Error).message;
      this.logger.warn({ deploymentId, hostId: host.hostId, host: host.hostName, error: failure }, 'rollback of host failed');
    }
    await this.records.appendOutput(deploymentId, host.hostId, output);
    const status = failure ? 'rollback_failed' : 'rolled_back';
    await this.records.transitionHost(deploymentId, host.hostId, 'rolling_back', status, {
      rollbackFinishedAt: new Date(),
      ...(restartReport ? { restartReport } : {}),
      ...(failure ? { error: `rollback: ${failure}`, exitCode } : {}),
    });
    for (const taskId of taskIds)
      this.events.publish(taskId, { type: 'host', hostId: host.hostId, hostName: host.hostName, status, error: failure });
    hostRollbacksTotal.inc({ outcome: failure ? 'failed' : 'ok' });
    observeHostOperation('rollback', failure ? 'failed' : 'ok', started);
    return failure === null;
  }
}
