import { Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Barrier } from '@vulnzero/async';
import { AuditService } from '@vulnzero/audit';
import { PatchesService } from '@vulnzero/patches';
import type { JobContext } from '@vulnzero/queues';
import { ProgressWriter, TaskEventsPublisher, TasksService } from '@vulnzero/tasks';
import type { DeploymentHostEntity } from '../deployment.entity';
import { DeploymentRecords, DeploymentRun } from '../deployment-records';
import { DeploymentLease, HeldLease as Lease, LeaseLostError } from '../deployment-lease';
import { DeploymentEndings } from '../deployment-endings';
import { IN_FLIGHT_HOST_STATUSES } from '../core/host-state';
import { scheduleOf, startGate } from '../core/maintenance-window';
import { Action, nextAction, rollbackOrder } from '../core/next-action';
import { deployProgress } from '../core/task-progress';
import { toSnapshot } from '../core/deployment-snapshot';
import type { SkippedHost } from '../core/rollback-retry';
import { HostPatcher, HostRunContext } from './host-patcher';
import { HostSessionsFactory } from './host-sessions';
import { DeploymentStatusWriter } from './deployment-status-writer';
import { RollbackRunner } from './rollback-runner';
import { RollbackRetryCheck } from './rollback-retry-check';

const BAKE_POLL_MS = 1_000;
/** Post-step health re-checks at once, when maxParallel is lower. */
const RECHECK_PARALLEL = 200;
/** How long the other handshakes wait for the first host to reach apply before they start anyway. */
const PREWARM_HOLD_MS = 500;

/**
 * Handshakes opened ahead at once: enough to have the next hosts' connections
 * ready before their slot frees, few enough that the hosts being patched (and
 * the step's health checks) are not starved of CPU by them, on the worker
 * and on hosts that share a machine. Measured on the bench's 200-host fleet:
 * 8 lanes for maxParallel 50 beat 4, 12 and 25.
 */
export function prewarmLanes(maxParallel: number): number {
  return Math.max(1, Math.min(8, Math.ceil(maxParallel / 6)));
}

/** One kind of action `nextAction` can return. */
type ActionOf<K extends Action['kind']> = Extract<Action, { kind: K }>;

/**
 * Drives one deployment: asks `nextAction` what to do given the rows and the
 * clock, performs only that I/O, persists, and asks again. Everything it knows
 * comes from PostgreSQL, so a run can stop (pause, shutdown) and another worker
 * can pick it up from the rows.
 */
@Injectable()
export class DeployRunner {
  private readonly logger = new Logger(DeployRunner.name);

  constructor(
    private readonly lease: DeploymentLease,
    private readonly records: DeploymentRecords,
    private readonly tasks: TasksService,
    private readonly events: TaskEventsPublisher,
    private readonly patches: PatchesService,
    private readonly sessionsFactory: HostSessionsFactory,
    private readonly patcher: HostPatcher,
    private readonly rollbacks: RollbackRunner,
    private readonly endings: DeploymentEndings,
    private readonly retryCheck: RollbackRetryCheck,
    private readonly audit: AuditService,
    private readonly status: DeploymentStatusWriter,
  ) {}

  async run(deploymentId: string, taskId: string, job: Pick<JobContext, 'signal' | 'requeue'>): Promise<void> {
    await this.lease.withLease(deploymentId, job, async (lease) => {
      const first = await this.mustLoad(deploymentId);
      if (first.deployment.status === 'rolling_back' && first.deployment.rollbackTaskId) {
        // A worker died during the automatic rollback: finish it.
        await this.audit.recordSystem({
          action: 'deployment.rollback.resume',
          resourceType: 'deployment',
          resourceId: deploymentId,
          detail: { rollbackTaskId: first.deployment.rollbackTaskId },
        });
        await this.rollbackRun(deploymentId, first.deployment.rollbackTaskId, lease);
        return;
      }
      await this.drive(deploymentId, taskId, job, lease);
    });
  }

  private async drive(deploymentId: string, taskId: string, job: Pick<JobContext, 'signal' | 'requeue'>, lease: Lease): Promise<void> {
    let run = await this.mustLoad(deploymentId);
    const patch = (await this.patches.getApproved(run.deployment.patchId)).definition;
    const sessions = this.sessionsFactory.create(run.hosts);
    const ctx: HostRunContext = { deploymentId, taskId, patch, sessions };
    const inFlight = new Map<string, Promise<void>>();
    const progress = new ProgressWriter((value) => this.tasks.updateProgress(taskId, value));
    const task = await this.tasks.get(taskId);
    if (task.status === 'queued' || task.status === 'paused') await this.tasks.transition(taskId, 'running');

    try {
      await this.recoverInterruptedHosts(run, ctx);
      // Handshakes are most of a host's time: open the connections of every
      // host still to come, in target order and a few at a time, while the
      // first ones run. Connecting changes nothing on a host.
      // Not while its schedule holds it: it would only close them again.
      if (startGate(scheduleOf(run.deployment), Date.now()).open) {
        // The first host's connect, capture and write-ahead go first; the
        // other handshakes start once it applies (or after a short while).
        const firstApplying = new Barrier();
        ctx.onApplying = () => firstApplying.open();
        setTimeout(() => firstApplying.open(), PREWARM_HOLD_MS).unref();
        sessions.prewarm(
          run.hosts.filter((h) => h.status === 'pending').map((h) => h.hostId),
          prewarmLanes(run.deployment.strategy.maxParallel),
          firstApplying.wait(),
        );
      }
      // Derived from the rows, written when it changed (at most every 250 ms while hosts finish).
      const report = (current: DeploymentRun) => progress.report(deployProgress(toSnapshot(current)));
      for (;;) {
        run = await this.mustLoad(deploymentId);
        await report(run);
        const action = nextAction(toSnapshot(run), Date.now());
        const startsWork = action.kind === 'startHosts' || action.kind === 'bake' || action.kind === 'wait';
        if (job.signal.aborted && startsWork) {
          // Shutting down: let the hosts in flight finish and be recorded, start nothing, hand the job back.
          await Promise.allSettled(inFlight.values());
          this.logger.log({ deploymentId }, 'worker stopping: deployment handed back to the queue');
          await job.requeue();
        }
        // Without the lease nothing is written: another worker may be driving.
        if (lease.lost && startsWork) {
          await Promise.allSettled(inFlight.values());
          throw new LeaseLostError(deploymentId);
        }
        const finished = await this.perform(action, run, ctx, inFlight);
        if (finished) {
          await report(await this.mustLoad(deploymentId));
          await progress.flush();
          // Held by its schedule: the job sleeps in the queue until the opening (the lease is released meanwhile).
          if (action.kind === 'hold') await job.requeue(Math.max(0, action.until - Date.now()));
          return;
        }
      }
    } finally {
      progress.cancel();
      await Promise.allSettled(inFlight.values());
      await sessions.closeAll();
    }
  }

  /**
   * An operator's rollback (`POST /deployments/:id/rollback`) of every host the
   * deployment changed, newest first; the deploy task, if still open, ends
   * with the deployment's final status.
   */
  async manualRollback(deploymentId: string, rollbackTaskId: string, job: Pick<JobContext, 'requeue'>): Promise<void> {
    await this.lease.withLease(deploymentId, job, (lease) => this.rollbackRun(deploymentId, rollbackTaskId, lease));
  }

  private async rollbackRun(deploymentId: string, rollbackTaskId: string, lease: Lease): Promise<void> {
    const run = await this.mustLoad(deploymentId);
    if (['rolled_back'].includes(run.deployment.status)) {
      await this.status.finishRollback(deploymentId, rollbackTaskId, 'rolled_back', [], 'already rolled back');
      return;
    }
    if (lease.lost) throw new LeaseLostError(deploymentId);
    const patch = (await this.patches.getApproved(run.deployment.patchId)).definition;
    let hostIds = rollbackOrder(toSnapshot(run).hosts);
    const sessions = this.sessionsFactory.create(run.hosts);
    try {
      // A retried rollback: only the hosts chosen when it was asked for, and of those only where verify still passes.
      const retry = run.deployment.rollbackRetry;
      const reason = retry ? 'rollback retried by an operator' : (run.deployment.error?.message ?? 'rollback requested by an operator');
      if (run.deployment.status !== 'rolling_back') await this.status.set(run, 'rolling_back');
      let skipped: SkippedHost[] | undefined;
      if (retry) {
        const open = new Set(hostIds);
        const candidates = retry.hostIds.flatMap((id) => run.hosts.filter((h) => h.hostId === id && open.has(id)));
        const checked = await this.retryCheck.check(deploymentId, candidates, patch, sessions, run.deployment.strategy.maxParallel);
        hostIds = checked.hostIds;
        skipped = [...retry.skipped, ...checked.skipped];
      }
      const outcome = await this.rollbacks.run(deploymentId, rollbackTaskId, hostIds, patch, sessions, run.deployment.strategy.maxParallel);
      const left = [...outcome.failedHosts, ...(skipped ?? []).map((h) => h.hostName)];
      const status = left.length > 0 ? 'rollback_failed' : outcome.status;
      await this.status.finishRollback(deploymentId, rollbackTaskId, status, left, reason, skipped);
      if (run.deployment.taskId) {
        await this.status.finishTask(run.deployment.taskId, status, { code: status, message: reason });
      }
    } finally {
      await sessions.closeAll();
    }
  }

  /** Performs one action; true when this run is over (finished, paused or handed to a rollback). */
  private async perform(action: Action, run: DeploymentRun, ctx: HostRunContext, inFlight: Map<string, Promise<void>>): Promise<boolean> {
    switch (action.kind) {
      case 'startHosts':
        return this.startHosts(action, run, ctx, inFlight);
      case 'wait':
        return this.waitForHosts(inFlight);
      case 'bake':
        return this.bake(action, run, ctx);
      case 'checkHealth':
        return this.checkHealth(action, run, ctx);
      case 'pause':
        return this.pauseAtGate(run, ctx);
      case 'hold':
        return this.holdForSchedule(action, run, ctx);
      case 'rollback':
        return this.rollBackAutomatically(action, run, ctx);
      case 'complete':
        return this.complete(action, run, ctx);
      case 'none':
        await this.status.finishTask(ctx.taskId, run.deployment.status);
        return true;
    }
  }

  /** Records the hosts as started (only those still pending), then patches each in the background. */
  private async startHosts(
    action: ActionOf<'startHosts'>,
    run: DeploymentRun,
    ctx: HostRunContext,
    inFlight: Map<string, Promise<void>>,
  ): Promise<boolean> {
    const id = run.deployment.id;
    const step = run.steps.find((s) => s.index === action.step);
    if (run.deployment.status !== 'running') await this.status.set(run, 'running');
    if (step && step.status === 'pending') {
      await this.records.transitionStep(id, step.index, 'pending', 'running', { startedAt: new Date() });
    }
    // In flight on the record before they start, so the next decision counts
    // them; only hosts this call moved from pending are started.
    const started = await this.records.startHosts(id, action.hostIds);
    // None moved: another run started them, or this worker lost its lease (then it must stop here).
    if (started.length === 0 && !(await this.lease.renew(id))) throw new LeaseLostError(id);
    for (const hostId of started) {
      const host = run.hosts.find((h) => h.hostId === hostId) as DeploymentHostEntity;
      this.events.publish(ctx.taskId, { type: 'host', hostId, hostName: host.hostName, status: 'capturing' });
      const pipeline = this.patcher.patch(ctx, { ...host, status: 'capturing' }).finally(() => inFlight.delete(hostId));
      // A host whose end could not be recorded (PostgreSQL down) rejects: the loop's
      // race or the run's allSettled sees it; meanwhile it is not an unhandled rejection.
      pipeline.catch(() => undefined);
      inFlight.set(hostId, pipeline);
    }
    return false;
  }

  private async waitForHosts(inFlight: Map<string, Promise<void>>): Promise<boolean> {
    if (inFlight.size > 0) await Promise.race(inFlight.values());
    else await sleep(100);
    return false;
  }

  private async bake(action: ActionOf<'bake'>, run: DeploymentRun, ctx: HostRunContext): Promise<boolean> {
    const step = run.steps.find((s) => s.index === action.step);
    if (step && !step.bakeUntil) {
      await this.records.transitionStep(run.deployment.id, action.step, step.status, 'baking', { bakeUntil: new Date(action.until) });
      this.events.publish(ctx.taskId, { type: 'step', index: action.step, status: 'baking', until: new Date(action.until).toISOString() });
    }
    // Short naps so a cancel or a shutdown is noticed during a long bake.
    await sleep(Math.max(0, Math.min(BAKE_POLL_MS, action.until - Date.now())));
    return false;
  }

  private async checkHealth(action: ActionOf<'checkHealth'>, run: DeploymentRun, ctx: HostRunContext): Promise<boolean> {
    const id = run.deployment.id;
    const step = run.steps.find((s) => s.index === action.step);
    if (!step) throw new Error(`deployment ${id} has no step ${action.step}`);
    await this.records.transitionStep(id, action.step, step.status, 'checking');
    const hosts = run.hosts.filter((h) => action.hostIds.includes(h.hostId));
    // Re-checks change nothing on a host (maxParallel bounds hosts being patched),
    // so more of them run at once; their output is written in one statement.
    const results = await this.patcher.recheckAll(ctx, hosts, Math.max(run.deployment.strategy.maxParallel, RECHECK_PARALLEL));
    const allHealthy = results.every(Boolean);
    await this.records.transitionStep(id, action.step, 'checking', allHealthy ? 'succeeded' : 'failed', { finishedAt: new Date() });
    this.events.publish(ctx.taskId, { type: 'step', index: action.step, status: allHealthy ? 'succeeded' : 'failed' });
    return false;
  }

  private async pauseAtGate(run: DeploymentRun, ctx: HostRunContext): Promise<boolean> {
    await this.status.set(run, 'paused', { pausedReason: 'gate' });
    await this.tasks.transition(ctx.taskId, 'paused');
    this.events.publish(ctx.taskId, { type: 'task', status: 'paused' });
    return true;
  }

  private async holdForSchedule(action: ActionOf<'hold'>, run: DeploymentRun, ctx: HostRunContext): Promise<boolean> {
    const { deployment } = run;
    const resumeAt = new Date(action.until);
    if (deployment.status !== 'paused' || deployment.pausedReason !== action.reason || deployment.resumeAt?.getTime() !== action.until) {
      await this.status.set(run, 'paused', { pausedReason: action.reason, resumeAt });
      this.logger.log(
        { deploymentId: deployment.id, reason: action.reason, resumeAt },
        'deployment paused until its schedule allows hosts to start',
      );
    }
    await this.tasks.transition(ctx.taskId, 'paused', { resumeAt });
    this.events.publish(ctx.taskId, { type: 'task', status: 'paused', reason: action.reason, resumeAt: resumeAt.toISOString() });
    return true;
  }

  /** The failure budget is spent: skips the hosts not started and rolls back the changed ones, newest first. */
  private async rollBackAutomatically(action: ActionOf<'rollback'>, run: DeploymentRun, ctx: HostRunContext): Promise<boolean> {
    const { deployment } = run;
    const id = deployment.id;
    await this.records.transitionHosts(id, action.skippedHostIds, 'pending', 'skipped');
    const rollbackTask = await this.tasks.create({
      type: 'rollback',
      createdBy: deployment.createdBy,
      resourceType: 'deployment',
      resourceId: id,
      parentTaskId: ctx.taskId,
      total: action.hostIds.length,
    });
    const decidedIn = deployment.status;
    await this.status.set(
      run,
      'rolling_back',
      {},
      {
        rollbackTaskId: rollbackTask.id,
        error: { code: 'failure_budget_exceeded', message: action.reason },
      },
    );
    await this.audit.recordSystem({
      action: 'deployment.rollback.automatic',
      resourceType: 'deployment',
      resourceId: id,
      detail: {
        reason: action.reason,
        status: { from: decidedIn, to: 'rolling_back' },
        hosts: action.hostIds.length,
        rollbackTaskId: rollbackTask.id,
      },
    });
    const outcome = await this.rollbacks.run(id, rollbackTask.id, action.hostIds, ctx.patch, ctx.sessions, deployment.strategy.maxParallel);
    await this.status.finishRollback(id, rollbackTask.id, outcome.status, outcome.failedHosts, action.reason);
    // `rolled_back` only when every host's rollback was run and verified.
    await this.status.finishTask(ctx.taskId, outcome.status, {
      code: outcome.status,
      message: outcome.status === 'rolled_back' ? action.reason : `${action.reason}; rollback failed on: ${outcome.failedHosts.join(', ')}`,
    });
    return true;
  }

  private async complete(action: ActionOf<'complete'>, run: DeploymentRun, ctx: HostRunContext): Promise<boolean> {
    const id = run.deployment.id;
    await this.records.transitionHosts(id, action.skippedHostIds, 'pending', 'skipped');
    const failedHosts = run.hosts.filter((h) => h.status === 'failed').map((h) => h.hostName);
    const error =
      action.status !== 'failed'
        ? null
        : (action.error ?? { code: 'deployment_failed', message: `hosts failed: ${failedHosts.join(', ')}`, hosts: failedHosts });
    await this.status.set(run, action.status, {}, { finishedAt: new Date(), ...(error ? { error } : {}) });
    await this.endings.closeSteps(id, action.status);
    await this.records.releaseClaims(id);
    await this.status.finishTask(ctx.taskId, action.status, error ?? undefined);
    return true;
  }

  /**
   * Hosts the record shows in flight while no run of this process drives them:
   * a worker died mid-host. A host whose rollback was not stored yet was not
   * changed (capture only reads), so it simply starts again. A host that may
   * have been changed is checked with verify, never applied twice blindly
   * (HostPatcher.resumeInterrupted); if verify cannot tell, the host fails with
   * the reason, and the deployment's failure handling takes over.
   */
  private async recoverInterruptedHosts(run: DeploymentRun, ctx: HostRunContext): Promise<void> {
    const interrupted = run.hosts.filter((h) => IN_FLIGHT_HOST_STATUSES.includes(h.status));
    if (interrupted.length > 0) {
      await this.audit.recordSystem({
        action: 'deployment.resume',
        resourceType: 'deployment',
        resourceId: run.deployment.id,
        detail: { interruptedHosts: interrupted.length, first: interrupted.slice(0, 20).map((h) => h.hostName) },
      });
    }
    for (const host of interrupted) {
      const changed = host.rollbackStoredAt !== null;
      if (!changed) {
        await this.records.transitionHost(run.deployment.id, host.hostId, host.status, 'pending', { startedAt: null, error: null });
        continue;
      }
      const healthy = await this.patcher.resumeInterrupted(ctx, host);
      this.logger.warn(
        { deploymentId: run.deployment.id, host: host.hostName, was: host.status, healthy },
        'recovered an interrupted host',
      );
    }
  }

  private async mustLoad(deploymentId: string): Promise<DeploymentRun> {
    const run = await this.records.load(deploymentId);
    if (!run) throw new Error(`deployment ${deploymentId} not found`);
    return run;
  }
}
