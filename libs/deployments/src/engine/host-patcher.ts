import { Injectable, Logger } from '@nestjs/common';
import { renderCommand, type PatchDefinition } from '@vulnzero/patches';
import { TaskEventsPublisher } from '@vulnzero/tasks';
import type { CommandRecord, DeploymentHostEntity } from '../deployment.entity';
import { DeploymentRecords } from '../deployment-records';
import type { HostStatus } from '../core/host-state';
import { describeFailure, runRecorded } from './command-record';
import { observeHostOperation } from './engine-metrics';
import { HealthChecker } from './health-checker';
import type { HostSessions } from './host-sessions';
import { HostOutputPublisher } from './host-output-publisher';

export interface HostRunContext {
  deploymentId: string;
  taskId: string;
  patch: PatchDefinition;
  sessions: HostSessions;
}

class HostStepFailed extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
  ) {
    super(message);
  }
}

/**
 * Patches one host, in SPEC §3's order: capture → render the rollback with
 * the captured values quoted → commit it to PostgreSQL → apply → verify →
 * health. Every transition is persisted; nothing changes the host before its
 * way back is stored. Never throws for a host failure: the host's record says
 * what failed.
 */
@Injectable()
export class HostPatcher {
  private readonly logger = new Logger(HostPatcher.name);

  constructor(
    private readonly records: DeploymentRecords,
    private readonly health: HealthChecker,
    private readonly events: TaskEventsPublisher,
    private readonly liveOutput: HostOutputPublisher,
  ) {}

  /** Runs one command, its output also published live for followers of this host. */
  private async runLive(
    ctx: HostRunContext,
    host: DeploymentHostEntity,
    session: Parameters<typeof runRecorded>[0],
    phase: CommandRecord['phase'],
    command: string,
    timeoutMs: number,
  ): Promise<CommandRecord> {
    const live = this.liveOutput.forCommand(ctx.deploymentId, host.hostId, phase, command);
    try {
      return await runRecorded(session, phase, command, timeoutMs, live.onOutput);
    } finally {
      live.end();
    }
  }

  async patch(ctx: HostRunContext, host: DeploymentHostEntity): Promise<void> {
    const timeoutMs = ctx.patch.timeoutSeconds * 1000;
    const output: CommandRecord[] = [];
    const flush = async () => {
      await this.records.appendOutput(ctx.deploymentId, host.hostId, output.splice(0));
    };
    let phase = 'connect';
    let phaseStarted = Date.now();
    try {
      const session = await ctx.sessions.session(host.hostId);

      phase = 'capture';
      phaseStarted = Date.now();
      const captured: Record<string, string> = {};
      for (const [name, command] of Object.entries(ctx.patch.capture)) {
        const record = await this.runLive(ctx, host, session, 'capture', command, timeoutMs);
        output.push(record);
        if (record.exitCode !== 0) throw new HostStepFailed(describeFailure(record), record.exitCode);
        captured[name] = record.stdout.trim();
      }
      const rollbackCommands = ctx.patch.rollback.map((template) => renderCommand(template, captured));
      // Committed (with the host now `applying`) before the first apply command.
      await this.records.storeRollback(ctx.deploymentId, host.hostId, captured, rollbackCommands);
      host.status = 'applying';
      this.events.publish(ctx.taskId, { type: 'host', hostId: host.hostId, hostName: host.hostName, status: 'applying' });
      observeHostOperation('capture', 'ok', phaseStarted);

      phase = 'apply';
      phaseStarted = Date.now();
      for (const command of ctx.patch.apply) {
        const record = await this.runLive(ctx, host, session, 'apply', command, timeoutMs);
        output.push(record);
        if (record.exitCode !== 0) throw new HostStepFailed(describeFailure(record), record.exitCode);
      }
      observeHostOperation('apply', 'ok', phaseStarted);

      phase = 'verify';
      phaseStarted = Date.now();
      await this.transition(ctx, host, 'verifying');
      if (ctx.patch.verify) {
        const record = await this.runLive(ctx, host, session, 'verify', ctx.patch.verify, timeoutMs);
        output.push(record);
        if (record.exitCode !== 0) throw new HostStepFailed(describeFailure(record), record.exitCode);
      }
      observeHostOperation('verify', 'ok', phaseStarted);

      phase = 'health';
      phaseStarted = Date.now();
      const health = await this.health.check(ctx.patch.healthChecks, session, host.address, 'health');
      output.push(...health.records);
      if (!health.passed) throw new HostStepFailed(health.failure ?? 'health check failed', null);
      observeHostOperation('health', 'ok', phaseStarted);

      await flush();
      await this.transition(ctx, host, 'healthy', { exitCode: 0, finishedAt: new Date(), error: null });
    } catch (error) {
      observeHostOperation(phase, 'failed', phaseStarted);
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn({ deploymentId: ctx.deploymentId, hostId: host.hostId, host: host.hostName, phase, error: message }, 'host failed');
      await flush();
      await this.transition(ctx, host, 'failed', {
        exitCode: error instanceof HostStepFailed ? error.exitCode : null,
        error: `${phase}: ${message}`,
        finishedAt: new Date(),
      });
    }
  }

  /**
   * Puts an interrupted host back as it was, with its stored rollback commands,
   * so it can be patched again from the start. True when restored (the host
   * is `pending` again); false when the restore failed (the host is `failed`).
   */
  async restore(ctx: HostRunContext, host: DeploymentHostEntity): Promise<boolean> {
    const output: CommandRecord[] = [];
    const interruptedIn = host.status;
    try {
      const session = await ctx.sessions.session(host.hostId);
      for (const command of host.rollbackCommands ?? []) {
        const record = await runRecorded(session, 'rollback', command, ctx.patch.timeoutSeconds * 1000);
        output.push(record);
        if (record.exitCode !== 0) throw new HostStepFailed(describeFailure(record), record.exitCode);
      }
      await this.records.appendOutput(ctx.deploymentId, host.hostId, output);
      await this.records.updateHost(ctx.deploymentId, host.hostId, { status: 'pending', startedAt: null, error: null, exitCode: null });
      host.status = 'pending';
      this.events.publish(ctx.taskId, { type: 'host', hostId: host.hostId, hostName: host.hostName, status: 'pending', note: `restored after an interrupted ${interruptedIn}` });
      return true;
    } catch (error) {
      await this.records.appendOutput(ctx.deploymentId, host.hostId, output);
      await this.transition(ctx, host, 'failed', {
        error: `interrupted while ${interruptedIn} and the restore failed: ${(error as Error).message}`,
        finishedAt: new Date(),
      });
      return false;
    }
  }

  /** A failed post-bake check: the host was healthy and is not any more. */
  async recheck(ctx: HostRunContext, host: DeploymentHostEntity): Promise<boolean> {
    const started = Date.now();
    try {
      const session = await ctx.sessions.session(host.hostId);
      const result = await this.health.check(ctx.patch.healthChecks, session, host.address, 'health');
      await this.records.appendOutput(ctx.deploymentId, host.hostId, result.records);
      observeHostOperation('health', result.passed ? 'ok' : 'failed', started);
      if (result.passed) return true;
      await this.transition(ctx, host, 'failed', { error: `health after bake: ${result.failure ?? 'failed'}` });
    } catch (error) {
      observeHostOperation('health', 'failed', started);
      await this.transition(ctx, host, 'failed', { error: `health after bake: ${(error as Error).message}` });
    }
    return false;
  }

  private async transition(
    ctx: HostRunContext,
    host: DeploymentHostEntity,
    status: HostStatus,
    extra: { exitCode?: number | null; error?: string | null; finishedAt?: Date | null } = {},
  ): Promise<void> {
    await this.records.updateHost(ctx.deploymentId, host.hostId, { status, ...extra });
    host.status = status;
    this.events.publish(ctx.taskId, { type: 'host', hostId: host.hostId, hostName: host.hostName, status, error: extra.error ?? null });
  }
}
