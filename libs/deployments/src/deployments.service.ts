import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource, EntityManager, In, IsNull } from 'typeorm';
import { AuditService } from '@vulnzero/audit';
import type { Actor } from '@vulnzero/auth';
import { BadInputError, ConflictError, DependencyUnavailableError, NotFoundError } from '@vulnzero/http';
import { HostEntity, HostsService } from '@vulnzero/inventory';
import { SshConnector } from '@vulnzero/ssh';
import { isIrreversible, PatchesService } from '@vulnzero/patches';
import { JobEnqueuer } from '@vulnzero/queues';
import { TasksService } from '@vulnzero/tasks';
import { InvalidStrategyError, irreversibleStrategyProblem, parseStrategy, Strategy } from './core/strategy';
import { planSteps } from './core/canary-plan';
import { buildPlanView, DeploymentPlanView } from './core/plan-view';
import { hostsToRetry, RETRYABLE_DEPLOYMENT_STATUSES } from './core/retry-selection';
import { isHostOutputSettled, pageOfCommands } from './core/host-output';
import {
  MAX_SCHEDULE_AHEAD_DAYS,
  MaintenanceWindow,
  parseInstant,
  ScheduleHold,
  scheduleOf,
  startGate,
  StartGate,
  validateWindow,
  windowStateAt,
} from './core/maintenance-window';
import { MaintenanceWindowsService } from './maintenance-windows.service';
import type { HostStatus } from './core/host-state';
import { canTransition } from './core/deployment-state';
import { rollbackOrder } from './core/next-action';
import { RollbackRetrySelection, selectRollbackRetry, SkippedHost } from './core/rollback-retry';
import {
  CommandRecord,
  DeploymentEntity,
  DeploymentHostEntity,
  DeploymentStepEntity,
  DeploymentTargets,
} from './deployment.entity';
import { DeploymentRecords } from './deployment-records';
import { DeploymentEndings } from './deployment-endings';
import { toDeploymentView, DeploymentView } from './deployment-view';
import { TargetAddresses } from './target-addresses';

export interface CreateDeploymentInput {
  patchId: string;
  targets: DeploymentTargets;
  strategy?: unknown;
  /** `{start, end, timezone}`, `{recurrence, duration, timezone}`, or the name or id of a named window. */
  window?: unknown;
  /** An ISO 8601 instant with its offset: no host starts before it. */
  notBefore?: unknown;
}

/** A deployment's schedule as recorded: the window (a copy of a named one) and `notBefore`. */
export interface ResolvedSchedule {
  window: MaintenanceWindow | null;
  maintenanceWindowId: string | null;
  notBefore: Date | null;
}


export interface HostOutputView {
  deploymentId: string;
  hostId: string;
  hostName: string;
  status: HostStatus;
  /** True once the host's output can no longer grow in this deployment. */
  settled: boolean;
  error: string | null;
  output: CommandRecord[];
}

/** `POST /deployments/:id/rollback`: the rollback task, the hosts it undoes (newest change first), and those it leaves alone. */
export interface RollbackAccepted {
  taskId: string;
  statusUrl: string;
  hosts: { hostId: string; hostName: string }[];
  skipped: SkippedHost[];
}

export interface DeploymentAccepted {
  deploymentId: string;
  taskId: string;
  statusUrl: string;
}

const PROBE_PARALLEL = 8;
/** Commands per page of a host's output: each holds up to 64 KiB per stream. */
const DEFAULT_OUTPUT_PAGE = 20;
const MAX_OUTPUT_PAGE = 100;
const PROBE_CONNECT_TIMEOUT_MS = 10_000;

const DEFAULT_STRATEGY = { type: 'canary', steps: [1, '10%', '50%', '100%'] };

export interface ScheduleView {
  notBefore: string | null;
  window: MaintenanceWindow | null;
  maintenanceWindowId: string | null;
  /** Could a host start now; if not, why and when it could (null: never). */
  now: { canStart: true } | { canStart: false; reason: ScheduleHold; until: string | null };
}

function scheduleView(schedule: ResolvedSchedule, gate: StartGate): ScheduleView {
  return {
    notBefore: schedule.notBefore?.toISOString() ?? null,
    window: schedule.window,
    maintenanceWindowId: schedule.maintenanceWindowId,
    now: gate.open
      ? { canStart: true }
      : { canStart: false, reason: gate.reason, until: gate.until === null ? null : new Date(gate.until).toISOString() },
  };
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Where one host of a deployment stands, for its output views: 404 naming what is missing. */
function hostOutputStateOf(
  id: string,
  hostId: string,
  host: Pick<DeploymentHostEntity, 'hostId' | 'hostName' | 'status' | 'error'> | null,
  deployment: Pick<DeploymentEntity, 'status'> | null,
): Omit<HostOutputView, 'output'> {
  if (!deployment) throw new NotFoundError('deployment', id);
  if (!host) throw new NotFoundError('host in deployment', hostId);
  return {
    deploymentId: id,
    hostId: host.hostId,
    hostName: host.hostName,
    status: host.status,
    settled: isHostOutputSettled(host.status, deployment.status),
    error: host.error,
  };
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
    private readonly hosts: HostsService,
    private readonly patches: PatchesService,
    private readonly tasks: TasksService,
    private readonly jobs: JobEnqueuer,
    private readonly records: DeploymentRecords,
    private readonly connector: SshConnector,
    private readonly windows: MaintenanceWindowsService,
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
    const { targets, strategy, plan, schedule } = await this.prepare(input);
    const stepOf = new Map(plan.flatMap((step) => step.hostIds.map((id) => [id, step.index] as const)));
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
        const pinned = await this.lockTargets(em, targets);
        if (retryOf) {
          // Linked both ways in one transaction; a second retry of the same deployment loses the race here.
          const linked = await em.getRepository(DeploymentEntity).update({ id: retryOf, retriedBy: IsNull() }, { retriedBy: deployment.id });
          if (!linked.affected) throw new ConflictError(`deployment ${retryOf} was already retried`, { deploymentId: retryOf });
        }
        await this.claimHosts(em, deployment.id, targets.map((h) => h.id), new Map(targets.map((h) => [h.id, h.name])));
        await em.getRepository(DeploymentStepEntity).insert(
          plan.map((step) => ({
            deploymentId: deployment.id,
            index: step.index,
            size: step.cumulative,
            status: 'pending' as const,
            bakeUntil: null,
            promoted: false,
          })),
        );
        await em.getRepository(DeploymentHostEntity).insert(
          pinned.map((host, position) => ({
            deploymentId: deployment.id,
            hostId: host.id,
            position,
            hostName: host.name,
            address: host.address,
            resolvedAddress: resolved.get(host.address) ?? null,
            port: host.port,
            hostKey: host.hostKey,
            credentialId: host.credentialId,
            step: stepOf.get(host.id) as number,
            status: 'pending' as const,
            output: [],
          })),
        );
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
      if ((error as { code?: string }).code === '23503' && String((error as { constraint?: string }).constraint).includes('maintenance_window')) {
        throw new BadInputError([`window: the maintenance window ${String(input.window)} was just deleted`], { field: 'window' });
      }
      // Two requests with one Idempotency-Key raced: the other one won.
      if (idempotencyKey && (error as { code?: string }).code === '23505' && String((error as { constraint?: string }).constraint).includes('idempotency')) {
        const existing = await this.db.getRepository(DeploymentEntity).findOneBy({ idempotencyKey });
        if (existing) return this.replay(existing, requestHash);
      }
      throw error;
    }
    await this.enqueueOrAbandon(accepted);
    return accepted;
  }

  /**
   * Everything a deployment checks before it records anything: the patch is
   * approved, the targets resolve to at least one host, the strategy fits
   * them. A dry run and a real deployment share it, so they refuse alike.
   */
  private async prepare(input: CreateDeploymentInput) {
    const schedule = await this.resolveSchedule(input);
    const patch = await this.patches.getApproved(input.patchId);
    const irreversible = irreversibleStrategyProblem(isIrreversible(patch.definition), input.strategy);
    if (irreversible) throw new BadInputError([irreversible], { field: 'strategy.autoRollback' });
    const targets = await this.hosts.resolveTargets(input.targets);
    if (targets.length === 0) {
      throw new BadInputError(['targets: match no host'], { field: 'targets' });
    }
    let strategy: Strategy;
    try {
      strategy = parseStrategy(input.strategy ?? DEFAULT_STRATEGY, targets.length);
    } catch (error) {
      if (error instanceof InvalidStrategyError) {
        throw new BadInputError(error.problems.map((p) => `${p.field.startsWith('strategy') ? p.field : `strategy.${p.field}`}: ${p.message}`));
      }
      throw error;
    }
    const plan = planSteps(
      targets.map((h) => h.id),
      strategy,
    );
    return { patch, targets, strategy, plan, schedule };
  }

  /** `window` and `notBefore`, checked: every problem named by its field, 400. */
  private async resolveSchedule(input: CreateDeploymentInput): Promise<ResolvedSchedule> {
    const problems: string[] = [];
    const latest = Date.now() + MAX_SCHEDULE_AHEAD_DAYS * 86_400_000;
    let notBefore: Date | null = null;
    if (input.notBefore !== undefined && input.notBefore !== null) {
      notBefore = typeof input.notBefore === 'string' ? parseInstant(input.notBefore) : null;
      if (!notBefore) {
        problems.push('notBefore: must be an existing ISO 8601 instant with its offset, e.g. 2026-12-01T22:00:00Z or 2026-12-01T23:00:00+01:00');
      } else if (notBefore.getTime() > latest) {
        problems.push(`notBefore: at most ${MAX_SCHEDULE_AHEAD_DAYS} days ahead (the hosts stay claimed while the deployment waits)`);
      }
    }
    let window: MaintenanceWindow | null = null;
    let maintenanceWindowId: string | null = null;
    if (typeof input.window === 'string') {
      try {
        const named = await this.windows.resolve(input.window);
        window = { recurrence: named.recurrence, duration: named.duration, timezone: named.timezone };
        maintenanceWindowId = named.id;
      } catch (error) {
        if (!(error instanceof BadInputError)) throw error;
        problems.push(...((error.details.errors as string[] | undefined) ?? [error.message]));
      }
    } else if (input.window !== undefined && input.window !== null) {
      const windowProblems = validateWindow(input.window);
      problems.push(...windowProblems.map((p) => `${p.field}: ${p.message}`));
      if (windowProblems.length === 0) window = input.window as MaintenanceWindow;
    }
    if (window && problems.length === 0) {
      const from = Math.max(Date.now(), notBefore?.getTime() ?? 0);
      const gate = startGate(scheduleOf({ notBefore: new Date(from), window }), from);
      const state = windowStateAt(window, new Date(from));
      const opensAt = state.open ? from : (state.opensAt?.getTime() ?? null);
      if (opensAt === null) {
        problems.push(`window: never open ${notBefore ? 'after notBefore' : 'again'}: the deployment could never start`);
      } else if (opensAt > latest || (!gate.open && gate.until !== null && gate.until > latest)) {
        problems.push(`window: opens more than ${MAX_SCHEDULE_AHEAD_DAYS} days ahead (the hosts stay claimed while the deployment waits)`);
      }
    }
    if (problems.length > 0) throw new BadInputError(problems, { field: problems[0].split(':')[0] });
    return { window, maintenanceWindowId, notBefore };
  }

  /**
   * The dry run (`dryRun: true`): what `create` would record, changing
   * nothing. See `buildPlanView` for why excluded hosts stay in their steps.
   */
  async plan(input: CreateDeploymentInput, options: { checkReachability?: boolean } = {}): Promise<DeploymentPlanView & { schedule: ScheduleView }> {
    const { patch, targets, strategy, plan, schedule } = await this.prepare(input);
    const claims: { host_id: string; deployment_id: string }[] = await this.db.query(
      `SELECT host_id, deployment_id FROM deployment_host_claims WHERE host_id = ANY($1::uuid[])`,
      [targets.map((h) => h.id)],
    );
    const claimed = new Map(claims.map((r) => [r.host_id, r.deployment_id]));
    const unreachable = options.checkReachability
      ? await this.probeReachability(targets.filter((h) => h.hostKey && !claimed.has(h.id)))
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
    return { ...view, schedule: scheduleView(schedule, startGate(scheduleOf(schedule), Date.now())) };
  }

  /** Connects and authenticates to each host (pinned key), runs nothing; at most PROBE_PARALLEL at once. */
  private async probeReachability(targets: HostEntity[]): Promise<Map<string, string>> {
    const unreachable = new Map<string, string>();
    const queue = [...targets];
    const lane = async () => {
      for (let host = queue.shift(); host; host = queue.shift()) {
        try {
          const session = await this.connector.connect({ ...(await this.hosts.sshTargetFor(host)), connectTimeoutMs: PROBE_CONNECT_TIMEOUT_MS });
          await session.close();
        } catch (error) {
          unreachable.set(host.id, error instanceof Error ? error.message : String(error));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PROBE_PARALLEL, queue.length) }, lane));
    return unreachable;
  }

  /**
   * A new deployment of the same patch over the hosts a finished deployment
   * did not patch (see `hostsToRetry`), linked both ways.
   */
  async retry(actor: Actor, id: string, overrides: { strategy?: unknown; window?: unknown; notBefore?: unknown } = {}): Promise<DeploymentAccepted> {
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
        : (overrides.window ?? deployment.maintenanceWindowId ?? (deployment.window && 'recurrence' in deployment.window ? deployment.window : undefined));
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

  /**
   * A host's status in a deployment without its output: what a follower of
   * the host's live output polls (reading the output every second would cost
   * up to a megabyte a poll per follower).
   */
  async hostOutputState(id: string, hostId: string): Promise<Omit<HostOutputView, 'output'>> {
    const host = await this.db.getRepository(DeploymentHostEntity).findOne({
      where: { deploymentId: id, hostId },
      select: { hostId: true, hostName: true, status: true, error: true },
    });
    const deployment = await this.db.getRepository(DeploymentEntity).findOne({ where: { id }, select: { id: true, status: true } });
    return hostOutputStateOf(id, hostId, host, deployment);
  }

  /**
   * One host's recorded output in a deployment, every command with its whole
   * bounded output (`GET /deployments/:id/hosts/:hostId/output`), a page of
   * commands at a time: `cursor` as `nextCursor` gave it, `limit` 1-100 (20).
   */
  async hostOutputPage(id: string, hostId: string, query: { cursor?: string; limit?: string }): Promise<HostOutputView & { nextCursor: string | null }> {
    const problems: string[] = [];
    if (query.cursor !== undefined && !/^(0|[1-9][0-9]{0,8})$/.test(query.cursor)) problems.push('cursor: is not a cursor this list issued');
    if (query.limit !== undefined && !(/^[0-9]{1,3}$/.test(query.limit) && Number(query.limit) >= 1 && Number(query.limit) <= MAX_OUTPUT_PAGE)) {
      problems.push(`limit: must be an integer from 1 to ${MAX_OUTPUT_PAGE}`);
    }
    if (problems.length > 0) throw new BadInputError(problems, { field: problems[0]?.split(':')[0] });
    const view = await this.hostOutput(id, hostId);
    const page = pageOfCommands(view.output, Number(query.cursor ?? 0), Number(query.limit ?? DEFAULT_OUTPUT_PAGE));
    return { ...view, output: page.items, nextCursor: page.nextCursor };
  }

  /** One host's recorded output in a deployment, all of it (what a follower sends once the host settles). */
  async hostOutput(id: string, hostId: string): Promise<HostOutputView> {
    const host = await this.db
      .getRepository(DeploymentHostEntity)
      .createQueryBuilder('h')
      .addSelect('h.output')
      .where('h.deployment_id = :id AND h.host_id = :hostId', { id, hostId })
      .getOne();
    const deployment = await this.db.getRepository(DeploymentEntity).findOne({ where: { id }, select: { id: true, status: true } });
    return { ...hostOutputStateOf(id, hostId, host, deployment), output: (host as DeploymentHostEntity).output };
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
    const gate = run.steps.filter((s) => s.status === 'succeeded' && !s.promoted && run.deployment.strategy.pauseAfterStep.includes(s.index))[0];
    if (!gate) throw new ConflictError(`deployment ${id} has no gate to pass`);
    await this.db.transaction(async (em) => {
      const passed = await em.getRepository(DeploymentStepEntity).update({ deploymentId: id, index: gate.index, promoted: false }, { promoted: true });
      if (!passed.affected) throw new ConflictError(`deployment ${id}: the gate after step ${gate.index} was already passed`);
      await this.audit.recordChange(em, { action: 'deployment.promote', resourceType: 'deployment', resourceId: id, detail: { step: gate.index, promoted: { from: false, to: true } } });
    });
    const taskId = run.deployment.taskId as string;
    await this.tasks.setJobId(taskId, await this.jobs.enqueue('deploy.run', { taskId, deploymentId: id }, `promote-${gate.index}`));
    return this.get(id);
  }

  async cancel(id: string): Promise<DeploymentView> {
    const run = await this.mustLoad(id);
    const { status } = run.deployment;
    if (!['pending', 'running', 'paused'].includes(status)) {
      throw new ConflictError(`deployment ${id} is ${status}: nothing to cancel`, { status });
    }
    await this.db.transaction(async (em) => {
      await em.getRepository(DeploymentEntity).update({ id }, { cancelRequested: true });
      await this.audit.recordChange(em, { action: 'deployment.cancel', resourceType: 'deployment', resourceId: id, detail: { status, cancelRequested: { from: run.deployment.cancelRequested, to: true } } });
    });
    // Wake a job to record the cancel: a paused deployment has none running, and
    // a running one may be about to sleep until its window opens. The lease
    // orders it after any job still driving; an extra job finds nothing to do.
    const taskId = run.deployment.taskId as string;
    await this.tasks.setJobId(taskId, await this.jobs.enqueue('deploy.run', { taskId, deploymentId: id }, 'cancel'));
    return this.get(id);
  }

  /**
   * Rolls back every host the deployment changed, newest first. Of a
   * `rollback_failed` deployment, only the hosts not rolled back yet that no
   * later deployment has targeted since (see `selectRollbackRetry`); the
   * worker then checks each one's verify before undoing it.
   */
  async rollback(actor: Actor, id: string): Promise<RollbackAccepted> {
    const run = await this.mustLoad(id);
    const { deployment } = run;
    if (!canTransition(deployment.status, 'rolling_back') || deployment.status === 'running') {
      throw new ConflictError(`deployment ${id} is ${deployment.status}: it cannot be rolled back now`, { status: deployment.status });
    }
    if (deployment.rollbackTaskId) {
      const previous = await this.tasks.get(deployment.rollbackTaskId);
      if (previous.status === 'queued' || previous.status === 'running') {
        throw new ConflictError(`a rollback of deployment ${id} is already under way`, { taskId: previous.id });
      }
    }
    const patch = await this.patches.getApproved(deployment.patchId);
    if (isIrreversible(patch.definition)) {
      throw new ConflictError(
        `deployment ${id} applied an irreversible patch (${patch.name}): it has no rollback commands, so its hosts cannot be rolled back`,
        { patchId: patch.id },
      );
    }
    const names = new Map(run.hosts.map((h) => [h.hostId, h.hostName]));
    const snapshot = this.records.snapshot(run);
    let retry: RollbackRetrySelection | null = null;
    if (deployment.status === 'rollback_failed') {
      const candidates = rollbackOrder(snapshot.hosts);
      retry = selectRollbackRetry(
        snapshot.hosts.map((h) => ({ ...h, hostName: names.get(h.hostId) ?? h.hostId })),
        await this.laterDeployments(id, candidates),
      );
      if (retry.hostIds.length === 0 && candidates.length > 0) {
        throw new ConflictError(
          `deployment ${id}: no host left to retry the rollback on: ${retry.skipped.map((h) => `${h.hostName} (${h.reason})`).join('; ')}`,
          { skipped: retry.skipped },
        );
      }
    }
    const hostIds = retry ? retry.hostIds : rollbackOrder(snapshot.hosts);
    if (hostIds.length === 0) throw new ConflictError(`deployment ${id} changed no host: nothing to roll back`);
    const task = await this.db.transaction(async (em) => {
      if (deployment.status !== 'paused') await this.claimHosts(em, id, hostIds, names);
      const created = await this.tasks.create(
        { type: 'rollback', createdBy: actor.name, resourceType: 'deployment', resourceId: id, parentTaskId: deployment.taskId ?? undefined, total: hostIds.length },
        em,
      );
      await em.getRepository(DeploymentEntity).update({ id }, { rollbackTaskId: created.id, rollbackRetry: retry });
      await this.audit.recordChange(em, { action: 'deployment.rollback', resourceType: 'deployment', resourceId: id, detail: { status: deployment.status, hosts: hostIds.length, taskId: created.id, ...(retry ? { skipped: retry.skipped.length } : {}) } });
      return created;
    });
    try {
      await this.tasks.setJobId(task.id, await this.jobs.enqueue('rollback.run', { taskId: task.id, deploymentId: id }));
    } catch (error) {
      await this.tasks.transition(task.id, 'failed', { error: { code: 'queue_unavailable', message: (error as Error).message } });
      if (deployment.status !== 'paused') await this.records.releaseClaims(id);
      throw new DependencyUnavailableError('queue', 'the rollback could not be enqueued; nothing was started');
    }
    return {
      taskId: task.id,
      statusUrl: `/tasks/${task.id}`,
      hosts: hostIds.map((hostId) => ({ hostId, hostName: names.get(hostId) ?? hostId })),
      skipped: retry?.skipped ?? [],
    };
  }

  /** Of `hostIds`, those a deployment created after this one has targeted since: host id → the latest such deployment. */
  private async laterDeployments(id: string, hostIds: string[]): Promise<Map<string, string>> {
    if (hostIds.length === 0) return new Map();
    const rows: { host_id: string; deployment_id: string }[] = await this.db.query(
      `SELECT DISTINCT ON (dh.host_id) dh.host_id, dh.deployment_id
       FROM deployment_hosts dh JOIN deployments d ON d.id = dh.deployment_id
       WHERE dh.host_id = ANY($2::uuid[]) AND dh.deployment_id <> $1
         AND d.created_at > (SELECT created_at FROM deployments WHERE id = $1)
       ORDER BY dh.host_id, d.created_at DESC`,
      [id, hostIds],
    );
    return new Map(rows.map((r) => [r.host_id, r.deployment_id]));
  }

  /**
   * The targets as they are now, locked until the deployment's transaction
   * commits: what it pins. A change of the inventory waits for the lock and
   * then finds the deployment's claims (409); a change that came first is
   * what gets pinned, unless it moved a host after its address was resolved.
   */
  private async lockTargets(em: EntityManager, targets: HostEntity[]): Promise<HostEntity[]> {
    const rows = await em.getRepository(HostEntity).find({ where: { id: In(targets.map((h) => h.id)) }, lock: { mode: 'pessimistic_read' } });
    const byId = new Map(rows.map((h) => [h.id, h]));
    return targets.map((target) => {
      const now = byId.get(target.id);
      if (!now) throw new ConflictError(`host ${target.name} was deleted while the deployment was being created`, { hostId: target.id });
      if (now.address !== target.address) {
        throw new ConflictError(`host ${target.name} moved while the deployment was being created: try again`, { hostId: target.id });
      }
      return now;
    });
  }

  /** Takes every host for this deployment or none: 409 names the hosts another deployment holds. */
  private async claimHosts(em: EntityManager, deploymentId: string, hostIds: string[], names: Map<string, string>): Promise<void> {
    const taken: { host_id: string }[] = await em.query(
      `INSERT INTO deployment_host_claims (host_id, deployment_id)
       SELECT unnest($1::uuid[]), $2
       ON CONFLICT (host_id) DO NOTHING
       RETURNING host_id`,
      [hostIds, deploymentId],
    );
    if (taken.length === hostIds.length) return;
    const got = new Set(taken.map((r) => r.host_id));
    const busy = hostIds.filter((h) => !got.has(h));
    const holders: { host_id: string; deployment_id: string }[] = await em.query(
      `SELECT host_id, deployment_id FROM deployment_host_claims WHERE host_id = ANY($1::uuid[])`,
      [busy],
    );
    throw new ConflictError(
      `hosts already in a running deployment: ${busy.map((h) => names.get(h) ?? h).join(', ')}`,
      { hosts: holders.map((r) => ({ hostId: r.host_id, hostName: names.get(r.host_id), deploymentId: r.deployment_id })) },
    );
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
