import { UsageError } from '../cli-errors';
import { booleanFlag, Command, CommandContext, stringFlag } from '../command';
import { ExitCode } from '../exit-codes';
import { isUuid, parseDurationFlag } from '../flag-values';
import type { DeploymentView, TaskView } from '../gateway-types';
import { waitForTask } from '../wait-for-task';

function deploymentId(ctx: CommandContext, command: string): string {
  const [id, ...extra] = ctx.positionals;
  if (!id) throw new UsageError(`vulnzero ${command} needs the deployment id: vulnzero ${command} DEPLOYMENT`);
  if (extra.length > 0) throw new UsageError(`vulnzero ${command} takes one deployment id, got ${ctx.positionals.length}`);
  if (!isUuid(id)) throw new UsageError(`${JSON.stringify(id)} is not a deployment id (a UUID)`);
  return id;
}

function waitFlags(ctx: CommandContext): { wait: boolean; timeoutMs?: number } {
  const wait = booleanFlag(ctx, 'wait');
  const timeout = stringFlag(ctx, 'timeout');
  if (timeout !== undefined && !wait) throw new UsageError('--timeout applies with --wait only');
  return { wait, timeoutMs: timeout !== undefined ? parseDurationFlag('--timeout', timeout) : undefined };
}

const WAIT_OPTIONS = { wait: { type: 'boolean' }, timeout: { type: 'string' } } as const;
const WAIT_HELP: [string, string][] = [
  ['--wait', 'follow the task to its end and exit with its verdict'],
  ['--timeout DURATION', 'with --wait: give up waiting after this long (exit 3; the task keeps running)'],
];

export const rollbackCommand: Command = {
  name: 'rollback',
  summary: 'roll back every host a deployment changed, newest first, with their stored commands',
  usage: 'rollback DEPLOYMENT [--wait [--timeout 30m]]',
  positionals: ['DEPLOYMENT'],
  options: { ...WAIT_OPTIONS },
  flagHelp: WAIT_HELP,
  notes: ['Exit codes: 0 rolled back (or accepted, without --wait), 1 the rollback failed on some host, 2 usage/auth, 3 timeout.'],
  examples: ['vulnzero rollback 0b9e… --wait', 'vulnzero rollback 0b9e… --json'],
  async run(ctx) {
    const id = deploymentId(ctx, 'rollback');
    const { wait, timeoutMs } = waitFlags(ctx);
    const accepted = await ctx.client().post<{ taskId: string }>(`/deployments/${id}/rollback`);
    ctx.output.line(`rollback of deployment ${id} accepted; task ${accepted.taskId}`);
    if (!wait) {
      const task = await ctx.client().get<TaskView>(`/tasks/${accepted.taskId}`);
      ctx.output.line(`follow it: vulnzero task wait ${accepted.taskId}`);
      ctx.output.data({ deploymentId: id, taskId: accepted.taskId, task });
      return ExitCode.ok;
    }
    const result = await waitForTask(ctx, accepted.taskId, timeoutMs);
    ctx.output.data({ deploymentId: id, taskId: accepted.taskId, task: result.task, deployment: result.deployment });
    return result.exitCode;
  },
};

function simpleAction(action: 'promote' | 'cancel', summary: string, after: string): Command {
  return {
    name: action,
    summary,
    usage: `${action} DEPLOYMENT`,
    positionals: ['DEPLOYMENT'],
    options: {},
    flagHelp: [],
    examples: [`vulnzero ${action} 0b9e…`, `vulnzero ${action} 0b9e… --json`],
    async run(ctx) {
      const id = deploymentId(ctx, action);
      const deployment = await ctx.client().post<DeploymentView>(`/deployments/${id}/${action}`);
      ctx.output.line(`deployment ${id}: ${deployment.status ?? 'ok'} — ${after}`);
      if (deployment.taskId) ctx.output.line(`follow it: vulnzero task wait ${deployment.taskId}`);
      ctx.output.data(deployment);
      return ExitCode.ok;
    },
  };
}

export const promoteCommand = simpleAction(
  'promote',
  'continue a deployment paused at a gate (--pause-after)',
  'promoted: the next step starts',
);
export const cancelCommand = simpleAction(
  'cancel',
  'stop a deployment before its next batch; patched hosts stay as recorded',
  'cancel requested: no new host starts; hosts in flight finish',
);
