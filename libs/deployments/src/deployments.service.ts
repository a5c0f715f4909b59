import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource, IsNull } from 'typeorm';
import { AuditService } from '@vulnzero/audit';
import type { Actor } from '@vulnzero/auth';
import { canonicalJson } from '@vulnzero/database';
import { BadInputError, ConflictError, DependencyUnavailableError, NotFoundError } from '@vulnzero/http';
import { PatchesService } from '@vulnzero/patches';
import { JobEnqueuer } from '@vulnzero/queues';
import { TasksService } from '@vulnzero/tasks';
import { buildPlanView, DeploymentPlanView } from './core/plan-view';
import { hostsToRetry, RETRYABLE_DEPLOYMENT_STATUSES } from './core/retry-selection';
import { ScheduleView, scheduleView } from './core/schedule-request';
import { isActive } from './core/deployment-state';
import { DeploymentEntity, DeploymentStepEntity } from './deployment.entity';
import { DeploymentRecords } from './deployment-records';
import { CreateDeploymentInput, DeploymentPreparer } from './deployment-preparer';
import { DeploymentEndings } from './deployment-endings';
import { DeploymentHostOutput, HostOutputView } from './deployment-host-output';
import { DeploymentRollbackRequests, type RollbackAccepted } from './deployment-rollback-requests';

export type { RollbackAccepted } from './deployment-rollback-requests';
import { toDeploymentView, DeploymentView } from './deployment-view';
import { HostClaims } from './host-claims';
import { ReachabilityProbe } from './engine/reachability-probe';
import { TargetAddresses } from './target-addresses';

export type { CreateDeploymentInput } from './deployment-preparer';
export type { HostOutputView } from './deployment-host-output';

/** `POST /deployments/:id/rollback`: the rollback task, the hosts it undoes (newest change first), and those it leaves alone. */
export interface DeploymentAccepted {
  deploymentId: string;
  taskId: string;
  statusUrl: string;
}

/**
 * The gateway's side of deployments: validate, plan, record and enqueue; and
 * the operator's controls (promote, cancel, rollback). The worker's side is
 * DeployRunner.
 */
@Injectable()
export class DeploymentsService {
  private readonly logger = new Logger(DeploymentsService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly preparer: DeploymentPreparer,
    private readonly patches: PatchesService,
    private readonly tasks: TasksService,
    private readonly jobs: JobEnqueuer,
    private readonly records: DeploymentRecords,
    private readonly probe: ReachabilityProbe,
    private readonly claims: HostClaims,
    private readonly hostOutputs: DeploymentHostOutput,
    private readonly rollbacks: DeploymentRollbackRequests,
    private readonly addresses: TargetAddresses,
    private readonly endings: DeploymentEndings,
    private readonly audit: AuditService,
  ) {}

  async create(actor: Actor, input: CreateDeploymentInput, idempotencyKey?: string, retryOf?: string): Promise<DeploymentAccepted> {
    const requestHash = createHash('sha256').update(canonicalJson(input)).digest('hex');
    if (idempotencyKey) {
      const existing = await this.db.getRepository(DeploymentEntity).findOneBy({ idempotencyKey });
      if (existing) return this.replay(existing, requestHash);
    }
    const { targets, strategy, plan, schedule } = await this.preparer.prepare(input);
    // Resolved before the transaction: no row stays locked while a resolver answers.
    const resolved = await this.addresses.resolve(targets.map((h) => h.address));

    let accepted: DeploymentAccepted;
    try {
      accepted = await this.db.transaction(async (em) => {
        const deployment = await em.getRepository(DeploymentEntity).save(
          em.getRepository(DeploymentEntity).create({
            patchId: input.patchId,
            status: 'pending',
            strategy,
            targets: input.targets,
            cancelRequested: false,
            idempotencyKey: idempotencyKey ?? null,
            requestHash,
            createdBy: actor.name,
            taskId: null,
            rollbackTaskId: null,
            error: null,
            startedAt: null,
            finishedAt: null,
            retryOf: retryOf ?? null,
            retriedBy: null,
            window: schedule.window,
            maintenanceWindowId: schedule.maintenanceWindowId,
            notBefore: schedule.notBefore,
            pausedReason: null,
            resumeAt: null,
          }),
        );
        const pinned = await this.claims.lockTargets(em, targets);
        if (retryOf) {
          // Linked both ways in one transaction; a second retry of the same deployment loses the race here.
          const linked = await em
            .getRepository(DeploymentEntity)
            .update({ id: retryOf, retriedBy: IsNull() }, { retriedBy: deployment.id });
          if (!linked.affected) throw new ConflictError(`deployment ${retryOf} was already retried`, { deploymentId: retryOf });
        }
        await this.claims.claim(
          em,
          deployment.id,
          targets.map((h) => h.id),
          new Map(targets.map((h) => [h.id, h.name])),
        );
        await this.records.insertPlan(em, deployment.id, plan, pinned, resolved);
        const task = await this.tasks.create(
          { type: 'deploy', createdBy: actor.name, resourceType: 'deployment', resourceId: deployment.id, total: targets.length },
          em,
        );
        await em.getRepository(DeploymentEntity).update({ id: deployment.id }, { taskId: task.id });
        await this.audit.recordChange(em, {
          action: retryOf ? 'deployment.retry' : 'deployment.create',
          resourceType: 'deployment',
          resourceId: deployment.id,
          detail: { patchId: input.patchId, hosts: targets.length, steps: plan.length, taskId: task.id, ...(retryOf ? { retryOf } : {}) },
        });
        return { deploymentId: deployment.id, taskId: task.id, statusUrl: `/tasks/${task.id}` };
      });
    } catch (error) {
      // The named window was deleted between resolving it and recording the deployment.
      if (
        (error as { code?: string }).code === '23503' &&
        String((error as { constraint?: string }).constraint).includes('maintenance_window')
      ) {
        throw new BadInputError([`window: the maintenance window ${String(input.window)} was just deleted`], { field: 'window' });
      }
      // Two requests with one Idempotency-Key raced: the other one won.
      if (
        idempotencyKey &&
        (error as { code?: string }).code === '23505' &&
        String((error as { constraint?: string }).constraint).includes('idempotency')
      ) {
        const existing = await this.db.getRepository(DeploymentEntity).findOneBy({ idempotencyKey });
        if (existing) return this.replay(existing, requestHash);
      }
      throw error;
    }
    await this.enqueueOrAbandon(accepted);
    return accepted;
  }

  /**
   * The dry run (`dryRun: true`): what `create` would record, changing
   * nothing. See `buildPlanView` for why excluded hosts stay in their steps.
   */
  async plan(
    input: CreateDeploymentInput,
    options: { checkReachability?: boolean } = {},
  ): Promise<DeploymentPlanView & { schedule: ScheduleView }> {
    const { patch, targets, strategy, plan, schedule } = await this.preparer.prepare(input);
    const claimed = await this.claims.claimedBy(
      this.db.manager,
      targets.map((h) => h.id),
    );
    const unreachable = options.checkReachability
      ? await this.probe.unreachable(targets.filter((h) => h.hostKey && !claimed.has(h.id)))
      : undefined;
    const view = buildPlanView({
      patch: { id: patch.id, ...patch.definition, name: patch.name },
      targets: targets.map((h) => ({ id: h.id, name: h.name, address: h.address, port: h.port, hostKeyPinned: Boolean(h.hostKey) })),
      strategy,
      steps: plan,
      claims: claimed,
      ...(unreachable ? { unreachable } : {}),
      reachabilityChecked: Boolean(options.checkReachability),
    });
    return { ...view, schedule: scheduleView(schedule, Date.now()) };
  }

  /**
   * A new deployment of the same patch over the hosts a finished deployment
   * did not patch (see `hostsToRetry`), linked both ways.
   */
  async retry(
    actor: Actor,
    id: string,
    overrides: { strategy?: unknown; window?: unknown; notBefore?: unknown } = {},
  ): Promise<DeploymentAccepted> {
    const run = await this.mustLoad(id);
    const { deployment } = run;
    if (!RETRYABLE_DEPLOYMENT_STATUSES.includes(deployment.status)) {
      throw new ConflictError(
        `deployment ${id} is ${deployment.status}: only a ${RETRYABLE_DEPLOYMENT_STATUSES.join(', ')} deployment can be retried`,
        { status: deployment.status },
      );
    }
    if (deployment.retriedBy) {
      throw new ConflictError(`deployment ${id} was already retried by ${deployment.retriedBy}`, { retriedBy: deployment.retriedBy });
    }
    const hostIds = hostsToRetry(run.hosts);
    if (hostIds.length === 0) throw new ConflictError(`deployment ${id} has no failed, rolled back or unstarted host to retry`);
    // A named or recurring window still applies; a one-off window and notBefore were for that run only.
    // An explicit `window: null` clears it.
    const window =
      overrides.window === null
        ? undefined
        : (overrides.window ??
          deployment.maintenanceWindowId ??
          (deployment.window && 'recurrence' in deployment.window ? deployment.window : undefined));
    return this.create(
      actor,
      {
        patchId: deployment.patchId,
        targets: { hostIds },
        strategy: overrides.strategy ?? deployment.strategy,
        ...(window !== undefined ? { window } : {}),
        ...(overrides.notBefore !== undefined ? { notBefore: overrides.notBefore } : {}),
      },
      undefined,
      id,
    );
  }

  /** A host's status in a deployment without its output (what a follower of its live output polls). */
  hostOutputState(id: string, hostId: string): Promise<Omit<HostOutputView, 'output'>> {
    return this.hostOutputs.state(id, hostId);
  }

  /** `GET /deployments/:id/hosts/:hostId/output`: a page of one host's recorded commands. */
  hostOutputPage(
    id: string,
    hostId: string,
    query: { cursor?: string; limit?: string },
  ): Promise<HostOutputView & { nextCursor: string | null }> {
    return this.hostOutputs.page(id, hostId, query);
  }

  /** One host's recorded output in a deployment, all of it (what a follower sends once the host settles). */
  hostOutput(id: string, hostId: string): Promise<HostOutputView> {
    return this.hostOutputs.all(id, hostId);
  }

  async get(id: string): Promise<DeploymentView> {
    const run = await this.records.load(id, { withOutput: true });
    if (!run) throw new NotFoundError('deployment', id);
    return toDeploymentView(run.deployment, run.steps, run.hosts);
  }

  async promote(id: string): Promise<DeploymentView> {
    const run = await this.mustLoad(id);
    if (run.deployment.status !== 'paused') {
      throw new ConflictError(`deployment ${id} is ${run.deployment.status}, not paused`, { status: run.deployment.status });
    }
    const reason = run.deployment.pausedReason;
    if (reason === 'not_before' || reason === 'window_closed') {
      throw new ConflictError(
        `deployment ${id} is paused by its schedule (${reason}) until ${run.deployment.resumeAt?.toISOString() ?? 'its next opening'}; promote passes a gate only`,
        { status: 'paused', pausedReason: reason },
      );
    }
    const gate = run.steps.filter(
      (s) => s.status === 'succeeded' && !s.promoted && run.deployment.strategy.pauseAfterStep.includes(s.index),
    )[0];
    if (!gate) throw new ConflictError(`deployment ${id} has no gate to pass`);
    await this.db.transaction(async (em) => {
      const passed = await em
        .getRepository(DeploymentStepEntity)
        .update({ deploymentId: id, index: gate.index, promoted: false }, { promoted: true });
      if (!passed.affected) throw new ConflictError(`deployment ${id}: the gate after step ${gate.index} was already passed`);
      await this.audit.recordChange(em, {
        action: 'deployment.promote',
        resourceType: 'deployment',
        resourceId: id,
        detail: { step: gate.index, promoted: { from: false, to: true } },
      });
    });
    const taskId = run.deployment.taskId as string;
    await this.tasks.setJobId(taskId, await this.jobs.enqueue('deploy.run', { taskId, deploymentId: id }, `promote-${gate.index}`));
    return this.get(id);
  }

  async cancel(id: string): Promise<DeploymentView> {
    const run = await this.mustLoad(id);
    const { status } = run.deployment;
    if (!isActive(status)) {
      throw new ConflictError(`deployment ${id} is ${status}: nothing to cancel`, { status });
    }
    await this.db.transaction(async (em) => {
      await em.getRepository(DeploymentEntity).update({ id }, { cancelRequested: true });
      await this.audit.recordChange(em, {
        action: 'deployment.cancel',
        resourceType: 'deployment',
        resourceId: id,
        detail: { status, cancelRequested: { from: run.deployment.cancelRequested, to: true } },
      });
    });
    // Wake a job to record the cancel: a paused deployment has none running, and
    // a running one may be about to sleep until its window opens. The lease
    // orders it after any job still driving; an extra job finds nothing to do.
    const taskId = run.deployment.taskId as string;
    await this.tasks.setJobId(taskId, await this.jobs.enqueue('deploy.run', { taskId, deploymentId: id }, 'cancel'));
    return this.get(id);
  }

  /** See DeploymentRollbackRequests.request. */
  rollback(actor: Actor, id: string): Promise<RollbackAccepted> {
    return this.rollbacks.request(actor, id);
  }

  private replay(existing: DeploymentEntity, requestHash: string): DeploymentAccepted {
    if (existing.requestHash !== requestHash) {
      throw new ConflictError('Idempotency-Key was used with a different request body', { deploymentId: existing.id });
    }
    return { deploymentId: existing.id, taskId: existing.taskId as string, statusUrl: `/tasks/${existing.taskId}` };
  }

  /** Never accept what cannot run: if the queue refuses the job, the deployment ends failed and its hosts are freed. */
  private async enqueueOrAbandon(accepted: DeploymentAccepted): Promise<void> {
    try {
      await this.tasks.setJobId(
        accepted.taskId,
        await this.jobs.enqueue('deploy.run', { taskId: accepted.taskId, deploymentId: accepted.deploymentId }),
      );
    } catch (error) {
      this.logger.error({ err: error, deploymentId: accepted.deploymentId }, 'deploy job not enqueued');
      await this.records.updateDeployment(accepted.deploymentId, {
        status: 'failed',
        finishedAt: new Date(),
        error: { code: 'queue_unavailable', message: 'the deploy job could not be enqueued' },
      });
      await this.endings.closeSteps(accepted.deploymentId, 'failed');
      await this.records.releaseClaims(accepted.deploymentId);
      await this.tasks.transition(accepted.taskId, 'failed', {
        error: { code: 'queue_unavailable', message: (error as Error).message },
      });
      throw new DependencyUnavailableError('queue', 'the deployment could not be enqueued; nothing was started');
    }
  }

  private async mustLoad(id: string) {
    const run = await this.records.load(id);
    if (!run) throw new NotFoundError('deployment', id);
    return run;
  }
}
