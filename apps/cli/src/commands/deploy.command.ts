import { UsageError } from '../cli-errors';
import { booleanFlag, Command, CommandContext, requiredFlag, stringFlag } from '../command';
import { ExitCode } from '../exit-codes';
import { isUuid, parseDurationFlag } from '../flag-values';
import type { TaskView } from '../gateway-types';
import { scheduleFlags } from '../schedule-flags';
import { buildStrategy, StrategyFlags } from '../strategy-flags';
import { parseTargetFlags, resolveTargets, TARGET_FLAG_HELP } from '../targets';
import { waitForTask } from '../wait-for-task';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;

interface Accepted {
  deploymentId: string;
  taskId: string;
  statusUrl: string;
}

interface PlanView {
  patch: { id: string; name: string };
  strategy: { type: string; maxParallel: number };
  targets: { hostId: string; hostName: string }[];
  steps: { index: number; cumulative: number; hosts: { hostName: string; excluded: boolean }[]; batches: number; pauseAfter: boolean }[];
  excluded: { hostName: string; reason: string; detail: string }[];
  startable: boolean;
  estimatedBatches: number;
  schedule?: { now: { canStart: boolean; reason?: string; until?: string | null } };
  commands: { capture: { name: string; command: string }[]; apply: string[]; rollback: { template: string }[]; verify: string | null };
}

function renderPlan(view: PlanView): string[] {
  const lines = [
    `plan: patch ${view.patch.name} on ${view.targets.length} host(s), ${view.strategy.type}, ${view.steps.length} step(s), about ${view.estimatedBatches} batch(es) of at most ${view.strategy.maxParallel}`,
  ];
  for (const step of view.steps) {
    const names = step.hosts.map((h) => (h.excluded ? `${h.hostName}(excluded)` : h.hostName));
    lines.push(
      `  step ${step.index}: ${step.hosts.length} host(s), ${step.cumulative} in total${step.pauseAfter ? ', then pause for promote' : ''}: ${names.join(', ') || '(none new)'}`,
    );
  }
  if (view.excluded.length > 0) {
    lines.push('excluded:');
    for (const e of view.excluded) lines.push(`  ${e.hostName}: ${e.reason} — ${e.detail}`);
  }
  lines.push('commands:');
  for (const c of view.commands.capture) lines.push(`  capture ${c.name}: ${c.command}`);
  for (const c of view.commands.apply) lines.push(`  apply: ${c}`);
  if (view.commands.verify) lines.push(`  verify: ${view.commands.verify}`);
  for (const c of view.commands.rollback) lines.push(`  rollback: ${c.template}`);
  const now = view.schedule?.now;
  if (now && !now.canStart) {
    lines.push(
      `schedule: no host would start now (${now.reason}); ${now.until ? `hosts start from ${now.until}` : 'the window never opens again'}`,
    );
  }
  lines.push(
    view.startable
      ? 'nothing was changed; run without --plan to deploy'
      : 'a deployment now would be refused: a target is in another running deployment',
  );
  return lines;
}

export const deployCommand: Command = {
  name: 'deploy',
  summary: 'deploy an approved patch with a canary, rolling or all-at-once strategy',
  usage:
    'deploy --patch ID (--hosts A,B | --labels K=V,…) [--strategy canary|rolling|all-at-once] [--steps 1,10%,50%,100%] [--batch-size N|N%] [--max-parallel N] [--max-failures N|N%] [--bake 30s] [--pause-after 0[,2]] [--no-auto-rollback] [--window NAME|JSON] [--not-before TIME] [--idempotency-key K] [--wait [--timeout 30m]] [--plan [--check-reachability]]',
  options: {
    patch: { type: 'string' },
    hosts: { type: 'string' },
    labels: { type: 'string' },
    strategy: { type: 'string' },
    steps: { type: 'string' },
    'batch-size': { type: 'string' },
    'max-parallel': { type: 'string' },
    'max-failures': { type: 'string' },
    bake: { type: 'string' },
    'pause-after': { type: 'string' },
    'no-auto-rollback': { type: 'boolean' },
    'idempotency-key': { type: 'string' },
    window: { type: 'string' },
    'not-before': { type: 'string' },
    wait: { type: 'boolean' },
    timeout: { type: 'string' },
    plan: { type: 'boolean' },
    'check-reachability': { type: 'boolean' },
  },
  flagHelp: [
    ['--patch ID', 'the approved patch to deploy (required)'],
    ...TARGET_FLAG_HELP,
    ['--strategy TYPE', 'canary (default), rolling or all-at-once'],
    ['--steps LIST', 'canary steps, cumulative counts or percentages ending with 100% (default 1,10%,50%,100%)'],
    ['--batch-size N|N%', 'hosts added per step of a rolling deployment'],
    ['--max-parallel N', 'hosts in flight at once (default 20)'],
    ['--max-failures N|N%', 'failures tolerated before the deployment aborts (default 0)'],
    ['--bake DURATION', 'wait after each step before the health checks: 30s, 5m, 1h (default 0)'],
    ['--pause-after I,J', 'pause after these steps (counted from 0) until `vulnzero promote`'],
    ['--no-auto-rollback', 'on abort, leave the changed hosts as they are instead of rolling them back'],
    [
      '--window NAME|JSON',
      'start hosts only inside this maintenance window: a named one (`POST /maintenance-windows`) or JSON {"start","end","timezone"} / {"recurrence","duration","timezone"}',
    ],
    ['--not-before TIME', 'start no host before this ISO 8601 instant with its offset (2026-12-01T22:00:00Z)'],
    ['--idempotency-key K', 'a retried call with the same key and flags returns the same deployment'],
    ['--wait', 'follow the deployment to its end and exit with its verdict'],
    ['--timeout DURATION', 'with --wait: give up waiting after this long (exit 3; the deployment keeps running)'],
    ['--plan', 'print what the deployment would do (steps, excluded hosts, commands) and change nothing'],
    ['--check-reachability', 'with --plan: connect and authenticate to every host (running nothing)'],
  ],
  notes: [
    'Exit codes: 0 succeeded (or accepted, without --wait; or a startable --plan), 1 failed, rolled back or cancelled (or a --plan that would be refused),',
    '2 bad usage, invalid request or auth error (401/403), 3 --timeout ran out.',
  ],
  examples: [
    'vulnzero deploy --patch 6f1c… --labels role=web --steps 1,10%,50%,100% --wait',
    'vulnzero deploy --patch 6f1c… --hosts web-01,web-02 --strategy all-at-once --wait --timeout 10m',
    'vulnzero deploy --patch 6f1c… --labels env=prod --strategy rolling --batch-size 10% --max-failures 2 --bake 1m',
    'vulnzero deploy --patch 6f1c… --labels group.web=true --pause-after 0 --idempotency-key "$CI_PIPELINE_ID"',
    'vulnzero deploy --patch 6f1c… --labels env=prod --window weeknights --wait',
    'vulnzero deploy --patch 6f1c… --labels env=prod --window \'{"start":"2026-12-01T22:00","end":"2026-12-02T02:00","timezone":"Europe/Berlin"}\'',
  ],
  async run(ctx: CommandContext) {
    const patchId = requiredFlag(ctx, 'patch', 'the id of an approved patch (`vulnzero patch create`, then `vulnzero patch approve`)');
    if (!isUuid(patchId)) throw new UsageError(`--patch: ${JSON.stringify(patchId)} is not a patch id (a UUID)`);
    const parsedTargets = parseTargetFlags(ctx);
    const strategy = buildStrategy({
      strategy: stringFlag(ctx, 'strategy'),
      steps: stringFlag(ctx, 'steps'),
      'batch-size': stringFlag(ctx, 'batch-size'),
      'max-parallel': stringFlag(ctx, 'max-parallel'),
      'max-failures': stringFlag(ctx, 'max-failures'),
      bake: stringFlag(ctx, 'bake'),
      'pause-after': stringFlag(ctx, 'pause-after'),
      'no-auto-rollback': booleanFlag(ctx, 'no-auto-rollback'),
    } satisfies StrategyFlags);
    const key = stringFlag(ctx, 'idempotency-key');
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      throw new UsageError('--idempotency-key must be 1-128 characters of A-Z a-z 0-9 . _ : -');
    }
    const wait = booleanFlag(ctx, 'wait');
    const timeoutText = stringFlag(ctx, 'timeout');
    if (timeoutText !== undefined && !wait) throw new UsageError('--timeout applies with --wait only');
    const timeoutMs = timeoutText !== undefined ? parseDurationFlag('--timeout', timeoutText) : undefined;
    if (timeoutMs === 0) throw new UsageError('--timeout must be longer than 0s');

    const plan = booleanFlag(ctx, 'plan');
    const checkReachability = booleanFlag(ctx, 'check-reachability');
    if (checkReachability && !plan) throw new UsageError('--check-reachability applies with --plan only');
    if (plan && (wait || key !== undefined)) throw new UsageError('--plan starts nothing: it takes no --wait or --idempotency-key');

    const schedule = scheduleFlags(stringFlag(ctx, 'window'), stringFlag(ctx, 'not-before'));

    const targets = await resolveTargets(ctx, parsedTargets);
    if (plan) {
      const view = await ctx.client().post<PlanView>('/deployments', {
        patchId,
        targets,
        ...(strategy ? { strategy } : {}),
        ...schedule,
        dryRun: true,
        ...(checkReachability ? { checkReachability } : {}),
      });
      ctx.output.lines(renderPlan(view));
      ctx.output.data(view);
      return view.startable ? ExitCode.ok : ExitCode.failed;
    }
    const accepted = await ctx
      .client()
      .post<Accepted>(
        '/deployments',
        { patchId, targets, ...(strategy ? { strategy } : {}), ...schedule },
        { headers: key ? { 'idempotency-key': key } : {} },
      );
    const out = ctx.output;
    out.line(`deployment ${accepted.deploymentId} accepted; task ${accepted.taskId}`);

    if (!wait) {
      const task = await ctx.client().get<TaskView>(`/tasks/${accepted.taskId}`);
      out.line(`follow it: vulnzero task wait ${accepted.taskId}`);
      out.data({ ...accepted, task });
      return ExitCode.ok;
    }
    const result = await waitForTask(ctx, accepted.taskId, timeoutMs);
    out.data({ ...accepted, task: result.task, deployment: result.deployment });
    return result.exitCode;
  },
};
