import { Injectable, Logger } from '@nestjs/common';
import { mapLimit } from '@vulnzero/async';
import { CaptureRefusedError, capturedValue, renderCommand, storedCapturedValue, type PatchDefinition } from '@vulnzero/patches';
import { TaskEventsPublisher } from '@vulnzero/tasks';
import type { CommandRecord, DeploymentHostEntity } from '../deployment.entity';
import { DeploymentRecords, HostEnd } from '../deployment-records';
import type { HostStatus } from '../core/host-state';
import { describeFailure, runRecorded } from './command-record';
import { judgeVerify } from '../core/verify-verdict';
import { inDeployment } from '../core/deployment-shell';
import { observeHostOperation } from './engine-metrics';
import { HealthChecker } from './health-checker';
import { afterRollbackSteps, phasesReached, PhaseInProgress, reportOf, SequenceRun, SequenceStep, WriteAheadAnswer } from './host-sequence';
import { pinnedAddress, type HostSessions } from './host-sessions';
import type { ExecResult, SequenceOptions, SshSession } from '@vulnzero/ssh';
import { HostOutputPublisher } from './host-output-publisher';

export interface HostRunContext {
  deploymentId: string;
  taskId: string;
  patch: PatchDefinition;
  sessions: HostSessions;
  /** Told when a host's rollback is stored and its apply starts. */
  onApplying?: (() => void) | undefined;
}

class HostStepFailed extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    /** The message already says where it failed (`capture previousVersion: …`). */
    readonly namesPhase = false,
  ) {
    super(message);
  }
}

/**
 * Patches one host, in docs/api.md#patches's order: capture → render the rollback with
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

  async patch(ctx: HostRunContext, host: Readonly<DeploymentHostEntity>): Promise<void> {
    const timeoutMs = ctx.patch.timeoutSeconds * 1000;
    const output: CommandRecord[] = [];
    let verifying: Promise<void> | undefined;
    let inPhase: PhaseInProgress = { phase: 'connect', since: Date.now() };
    try {
      const session = await ctx.sessions.session(host.hostId);

      // The whole host in one channel (one session and shell on the host, as a
      // hand-written `ssh host 'a && b'` would): capture, then a gate the host
      // waits at until the rendered rollback is committed, then apply, verify
      // and the first attempt of the health commands, each command with its
      // own record, status and deadline. `verifying` is written while verify runs.
      inPhase = { phase: 'capture', since: Date.now() };
      const captureNames = Object.keys(ctx.patch.capture);
      const steps: SequenceStep[] = [
        ...Object.values(ctx.patch.capture).map((command): SequenceStep => ({ phase: 'capture', command, timeoutMs })),
        ...afterRollbackSteps(ctx.patch, timeoutMs),
      ];
      const run = await this.runSequence(ctx, host, session, steps, {
        before: captureNames.length,
        writeAhead: (captures) => this.writeAhead(ctx, host, captureNames, captures),
        afterApply: () => this.recordVerifying(ctx, host),
      });
      verifying = run.verifying;
      const reached = phasesReached(steps, run, inPhase.since);
      for (const done of reached.passed) observeHostOperation(done.phase, 'ok', done.since, done.until);
      inPhase = reached.current;
      if (run.error !== undefined) throw run.error;
      const records = run.records;
      for (const [index, record] of records.entries()) {
        const step = steps[index] as SequenceStep;
        if (step.phase === 'health') continue;
        output.push(record);
        if (record.exitCode !== 0) {
          inPhase = { phase: step.phase, since: inPhase.since };
          throw new HostStepFailed(describeFailure(record), record.exitCode);
        }
      }
      const captureFailure = run.writeAhead && !run.writeAhead.stored ? run.writeAhead.failure : undefined;
      if (captureFailure) {
        // `capture previousVersion: output over …` names its capture; a rendering failure gets the phase.
        const message = captureFailure instanceof CaptureRefusedError ? captureFailure.message : `capture: ${captureFailure.message}`;
        throw new HostStepFailed(message, null, true);
      }
      if (records.filter((r) => r.phase !== 'health').length < steps.filter((st) => st.phase !== 'health').length) {
        throw new HostStepFailed('the command sequence ended early', null);
      }
      if (!verifying) {
        observeHostOperation('apply', 'ok', inPhase.since);
        inPhase = { phase: inPhase.phase, since: Date.now() };
        verifying = this.recordVerifying(ctx, host);
      }
      await verifying;
      if (ctx.patch.verify) observeHostOperation('verify', 'ok', inPhase.since);

      inPhase = { phase: 'health', since: Date.now() };
      const batchedHealth = records.filter((r) => r.phase === 'health');
      const healthInBatch = steps.filter((st) => st.phase === 'health').length;
      if (healthInBatch > 0 && batchedHealth.length === healthInBatch && batchedHealth.every((r) => r.exitCode === 0)) {
        output.push(...batchedHealth);
      } else {
        // Not batched, or a first attempt failed: the checker retries each check within its timeout.
        const health = await this.health.check(ctx.patch.healthChecks, session, pinnedAddress(host), 'health');
        output.push(...health.records);
        if (!health.passed) throw new HostStepFailed(health.failure ?? 'health check failed', null);
      }
      observeHostOperation('health', 'ok', inPhase.since);

      await this.finish(ctx, host, output.splice(0), 'healthy', { exitCode: 0, finishedAt: new Date(), error: null, ...reportOf(records) });
    } catch (error) {
      const { phase } = inPhase;
      observeHostOperation(phase, 'failed', inPhase.since);
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn({ deploymentId: ctx.deploymentId, hostId: host.hostId, host: host.hostName, phase, error: message }, 'host failed');
      // Ordered after the `verifying` write, whatever became of it.
      await (verifying as Promise<void> | undefined)?.catch(() => undefined);
      await this.finish(ctx, host, output.splice(0), 'failed', {
        exitCode: error instanceof HostStepFailed ? error.exitCode : null,
        error: error instanceof HostStepFailed && error.namesPhase ? message : `${phase}: ${message}`,
        finishedAt: new Date(),
      });
    }
  }

  /**
   * The write-ahead gate: renders the rollback from the captured values and
   * commits it (with the host now `applying`) before the first apply command.
   * A value that cannot be captured whole (cut at the output bound, a NUL
   * byte) or a rollback that cannot be rendered from it answers no: the host
   * never goes on. A commit that fails rejects: the host never goes on either.
   */
  private async writeAhead(
    ctx: HostRunContext,
    host: Readonly<DeploymentHostEntity>,
    captureNames: string[],
    captures: ExecResult[],
  ): Promise<WriteAheadAnswer> {
    const captured: Record<string, string> = {};
    let rollbackCommands: string[];
    try {
      const values: Record<string, Buffer> = {};
      for (const [index, result] of captures.entries()) {
        const name = captureNames[index] as string;
        values[name] = capturedValue(name, result.stdoutBytes, result.stdoutTotalBytes);
        captured[name] = storedCapturedValue(values[name]);
      }
      rollbackCommands = ctx.patch.rollback.map((template) => renderCommand(template, values));
    } catch (error) {
      return { stored: false, failure: error instanceof Error ? error : new Error(String(error)) };
    }
    await this.records.storeRollback(ctx.deploymentId, host.hostId, captured, rollbackCommands);
    this.events.publish(ctx.taskId, { type: 'host', hostId: host.hostId, hostName: host.hostName, status: 'applying' });
    ctx.onApplying?.();
    return { stored: true, at: Date.now() };
  }

  /**
   * Runs `steps` in one channel, live output per command, and returns what
   * happened: a record for each command that ended, when each one started,
   * the write-ahead gate's answer, and the error that ended the channel
   * early (a lost connection, a failed commit), if one did.
   */
  private async runSequence(
    ctx: HostRunContext,
    host: Readonly<DeploymentHostEntity>,
    session: SshSession,
    steps: SequenceStep[],
    hooks: {
      before: number;
      writeAhead: (captures: ExecResult[]) => Promise<WriteAheadAnswer>;
      /** Started with the first command after apply (verify, report or health), while it runs. */
      afterApply: () => Promise<void>;
    },
  ): Promise<SequenceRun> {
    const startedAt: number[] = [];
    const live: ReturnType<HostOutputPublisher['forCommand']>[] = [];
    let writeAhead: WriteAheadAnswer | undefined;
    let verifying: Promise<void> | undefined;
    // The shell stays on the host for the step's health re-checks when every command passed.
    const resident = ctx.patch.healthChecks.flatMap((check) => (check.type === 'command' ? [check.command] : []));
    try {
      // Each command sees VZ_DEPLOYMENT_ID; the records keep the command as the patch wrote it.
      const commands = steps.map((step) => ({ ...step, command: inDeployment(ctx.deploymentId, step.command) }));
      const gate: SequenceOptions['gate'] = {
        before: hooks.before,
        proceed: async (captures) => {
          writeAhead = await hooks.writeAhead(captures);
          return writeAhead.stored;
        },
      };
      const { results, resident: shell } = await session.startSequence(commands, {
        gate,
        ...(resident.length > 0 ? { resident } : {}),
        onStart: (index) => {
          const step = steps[index] as SequenceStep;
          startedAt[index] = Date.now();
          live[index] = this.liveOutput.forCommand(ctx.deploymentId, host.hostId, step.phase, step.command);
          if (step.phase !== 'capture' && step.phase !== 'apply') verifying ??= hooks.afterApply();
        },
        onOutput: (index, stream, chunk) => live[index]?.onOutput(stream, chunk),
      });
      if (shell) ctx.sessions.keepResident(host.hostId, shell);
      const records = results.map((result, index): CommandRecord => {
        const step = steps[index] as SequenceStep;
        const at = startedAt[index];
        return {
          phase: step.phase,
          command: step.command,
          exitCode: result.exitCode,
          stdout: result.stdout,
          stderr: result.stderr,
          durationMs: result.durationMs,
          timedOut: result.timedOut,
          at: (at === undefined ? new Date() : new Date(at)).toISOString(),
        };
      });
      return { records, startedAt, writeAhead, verifying };
    } catch (error) {
      return { records: [], startedAt, writeAhead, verifying, error };
    } finally {
      for (const stream of live) stream?.end();
    }
  }

  /**
   * `verifying`, written while verify already runs: awaited (and its failure
   * reported) before the host's last transition, but never left as an
   * unhandled rejection meanwhile (PostgreSQL down would end the process).
   */
  private recordVerifying(ctx: HostRunContext, host: Readonly<DeploymentHostEntity>): Promise<void> {
    const write = this.records.markVerifying(ctx.deploymentId, host.hostId).then(() => {
      this.events.publish(ctx.taskId, { type: 'host', hostId: host.hostId, hostName: host.hostName, status: 'verifying', error: null });
    });
    write.catch(() => undefined);
    return write;
  }

  /** The host's last transition, with the output of its commands, in one write. */
  private async finish(
    ctx: HostRunContext,
    host: Readonly<DeploymentHostEntity>,
    output: CommandRecord[],
    status: HostStatus,
    extra: Omit<HostEnd, 'status'>,
  ): Promise<void> {
    await this.records.finishHost(ctx.deploymentId, host.hostId, output, { status, ...extra });
    this.events.publish(ctx.taskId, { type: 'host', hostId: host.hostId, hostName: host.hostName, status, error: extra.error ?? null });
  }

  /**
   * A host a crash left mid-change (its rollback stored, so apply may have
   * run): its state is unknown, and apply is never run twice blindly. verify
   * decides: a change already in place is recorded as such and goes on to its
   * health checks; when verify cannot tell (it fails, proves nothing, or the
   * patch has none) the host fails with that reason, and the deployment's
   * failure handling (its stored rollback) takes over. True when healthy.
   */
  async resumeInterrupted(ctx: HostRunContext, host: Readonly<DeploymentHostEntity>): Promise<boolean> {
    const output: CommandRecord[] = [];
    const interruptedIn = host.status;
    const unknown = (why: string) => `interrupted while ${interruptedIn} and ${why}: not applied again`;
    try {
      if (!ctx.patch.verify) throw new HostStepFailed(unknown('the patch has no verify to tell whether the change is in place'), null);
      const session = await ctx.sessions.session(host.hostId);
      const record = await runRecorded(session, 'verify', ctx.patch.verify, ctx.patch.timeoutSeconds * 1000, undefined, ctx.deploymentId);
      output.push(record);
      const verdict = judgeVerify(record, ctx.patch.timeoutSeconds);
      if (verdict.kind === 'absent')
        throw new HostStepFailed(unknown(`verify says the change is not in place (exit ${verdict.exitCode})`), record.exitCode);
      if (verdict.kind === 'unknown') throw new HostStepFailed(unknown(verdict.reason), record.exitCode);
      if (host.status === 'applying') await this.transition(ctx, host, 'verifying', { error: null });
      const health = await this.health.check(ctx.patch.healthChecks, session, host.address, 'health');
      output.push(...health.records);
      if (!health.passed) throw new HostStepFailed(`health: ${health.failure ?? 'health check failed'}`, null);
      await this.finish(ctx, host, output.splice(0), 'healthy', { exitCode: 0, finishedAt: new Date(), error: null });
      this.events.publish(ctx.taskId, {
        type: 'host',
        hostId: host.hostId,
        hostName: host.hostName,
        status: 'healthy',
        note: `the change was already in place after an interrupted ${interruptedIn} (verify passed): not applied again`,
      });
      return true;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await this.finish(ctx, host, output.splice(0), 'failed', {
        exitCode: error instanceof HostStepFailed ? error.exitCode : null,
        error: message.startsWith('interrupted') ? message : unknown(message),
        finishedAt: new Date(),
      });
      return false;
    }
  }

  /**
   * The post-bake check of a step: every host's health checks, `parallel` hosts
   * at a time, their output written in one statement at the end; a host that
   * fails is recorded `failed`. True per host that passed, in `hosts` order.
   */
  async recheckAll(ctx: HostRunContext, hosts: DeploymentHostEntity[], parallel: number): Promise<boolean[]> {
    const outputs: { hostId: string; records: CommandRecord[] }[] = [];
    const failures: { host: DeploymentHostEntity; error: string }[] = [];
    const passed = await mapLimit(hosts, parallel, async (host) => {
      const started = Date.now();
      try {
        const runner = await ctx.sessions.runner(host.hostId);
        const result = await this.health.check(ctx.patch.healthChecks, runner, pinnedAddress(host), 'health');
        outputs.push({ hostId: host.hostId, records: result.records });
        observeHostOperation('health', result.passed ? 'ok' : 'failed', started);
        if (!result.passed) failures.push({ host, error: `health after bake: ${result.failure ?? 'failed'}` });
        return result.passed;
      } catch (error) {
        observeHostOperation('health', 'failed', started);
        failures.push({ host, error: `health after bake: ${(error as Error).message}` });
        return false;
      }
    });
    await this.records.appendOutputs(ctx.deploymentId, outputs);
    for (const { host, error } of failures) await this.transition(ctx, host, 'failed', { error });
    return passed;
  }

  /** From the status `host` was loaded in: the loaded row itself stays as read. */
  private async transition(
    ctx: HostRunContext,
    host: Readonly<DeploymentHostEntity>,
    status: HostStatus,
    extra: { exitCode?: number | null; error?: string | null; finishedAt?: Date | null } = {},
  ): Promise<void> {
    await this.records.transitionHost(ctx.deploymentId, host.hostId, host.status, status, extra);
    this.events.publish(ctx.taskId, { type: 'host', hostId: host.hostId, hostName: host.hostName, status, error: extra.error ?? null });
  }
}
