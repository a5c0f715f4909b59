import { UsageError } from '../cli-errors';
import { Command, CommandContext, stringFlag } from '../command';
import { ExitCode } from '../exit-codes';
import { isUuid, parseDurationFlag } from '../flag-values';
import type { TaskView } from '../gateway-types';
import { describeTask } from '../progress-render';
import { waitForTask } from '../wait-for-task';

function taskId(ctx: CommandContext, command: string): string {
  const [id, ...extra] = ctx.positionals;
  if (!id) throw new UsageError(`vulnzero ${command} needs the task id: vulnzero ${command} ID`);
  if (extra.length > 0) throw new UsageError(`vulnzero ${command} takes one task id, got ${ctx.positionals.length}`);
  if (!isUuid(id)) throw new UsageError(`${JSON.stringify(id)} is not a task id (a UUID)`);
  return id;
}

export const taskGetCommand: Command = {
  name: 'task get',
  summary: 'show a task: type, status, progress, result, error',
  usage: 'task get ID',
  positionals: ['ID'],
  options: {},
  flagHelp: [],
  examples: ['vulnzero task get 3d0f…', 'vulnzero task get 3d0f… --json | jq -r .status'],
  async run(ctx) {
    const task = await ctx.client().get<TaskView & Record<string, unknown>>(`/tasks/${taskId(ctx, 'task get')}`);
    const out = ctx.output;
    out.line(`task ${task.id}`);
    const rows: [string, unknown][] = [
      ['type', task.type],
      ['status', task.status],
      ['progress', describeTask(task)],
      ['resource', task.resourceType && task.resourceId ? `${task.resourceType} ${task.resourceId}` : '-'],
      ['parent task', task.parentTaskId ?? '-'],
      ['result', task.result ? JSON.stringify(task.result) : '-'],
      ['error', task.error ? `${task.error.code ?? ''} ${task.error.message ?? ''}`.trim() : '-'],
      ['created', `${task.createdAt ?? '-'} by ${String(task.createdBy ?? '-')}`],
      ['started', task.startedAt ?? '-'],
      ['finished', task.finishedAt ?? '-'],
    ];
    for (const [name, value] of rows) out.line(`  ${name.padEnd(12)} ${String(value)}`);
    out.data(task);
    return ExitCode.ok;
  },
};

export const taskWaitCommand: Command = {
  name: 'task wait',
  summary: 'follow a task live to its end and exit with its verdict',
  usage: 'task wait ID [--timeout 30m]',
  positionals: ['ID'],
  options: { timeout: { type: 'string' } },
  flagHelp: [['--timeout DURATION', 'give up waiting after this long (exit 3; the task keeps running)']],
  notes: ['Exit codes: 0 succeeded, 1 failed or cancelled (a rolled-back deployment is failed), 2 usage/auth, 3 timeout.'],
  examples: ['vulnzero task wait 3d0f…', 'vulnzero task wait 3d0f… --timeout 45m --json > result.json'],
  async run(ctx) {
    const id = taskId(ctx, 'task wait');
    const timeout = stringFlag(ctx, 'timeout');
    const result = await waitForTask(ctx, id, timeout !== undefined ? parseDurationFlag('--timeout', timeout) : undefined);
    ctx.output.data({
      task: result.task,
      ...(result.deployment ? { deployment: result.deployment } : {}),
      ...(result.scan ? { scan: result.scan } : {}),
    });
    return result.exitCode;
  },
};
