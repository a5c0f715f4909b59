import { UsageError } from '../cli-errors';
import { booleanFlag, Command, stringFlag } from '../command';
import { ExitCode } from '../exit-codes';
import { parseDurationFlag } from '../flag-values';
import type { TaskView } from '../gateway-types';
import { parseTargetFlags, resolveTargets, TARGET_FLAG_HELP } from '../targets';
import { waitForTask } from '../wait-for-task';

export const scanCommand: Command = {
  name: 'scan',
  summary: 'scan hosts for vulnerable packages',
  usage: 'scan (--hosts A,B | --labels K=V,…) [--wait [--timeout 30m]]',
  options: { hosts: { type: 'string' }, labels: { type: 'string' }, wait: { type: 'boolean' }, timeout: { type: 'string' } },
  flagHelp: [
    ...TARGET_FLAG_HELP,
    ['--wait', 'follow the scan to its end; exit 0 when it succeeded'],
    ['--timeout DURATION', 'with --wait: give up waiting after this long (exit 3; the scan keeps running)'],
  ],
  notes: ['Exit codes: 0 scanned (or accepted, without --wait), 1 the scan failed, 2 usage/auth, 3 timeout.'],
  examples: ['vulnzero scan --labels env=prod --wait', 'vulnzero scan --hosts web-01,web-02 --json'],
  async run(ctx) {
    const parsed = parseTargetFlags(ctx);
    const wait = booleanFlag(ctx, 'wait');
    const timeout = stringFlag(ctx, 'timeout');
    if (timeout !== undefined && !wait) throw new UsageError('--timeout applies with --wait only');
    const timeoutMs = timeout !== undefined ? parseDurationFlag('--timeout', timeout) : undefined;
    const targets = await resolveTargets(ctx, parsed);
    const accepted = await ctx.client().post<{ scanId: string; taskId: string }>('/scans', { targets });
    ctx.output.line(`scan ${accepted.scanId} accepted; task ${accepted.taskId}`);
    if (!wait) {
      const task = await ctx.client().get<TaskView>(`/tasks/${accepted.taskId}`);
      ctx.output.line(`follow it: vulnzero task wait ${accepted.taskId}`);
      ctx.output.data({ ...accepted, task });
      return ExitCode.ok;
    }
    const result = await waitForTask(ctx, accepted.taskId, timeoutMs);
    ctx.output.data({ ...accepted, task: result.task, scan: result.scan });
    return result.exitCode;
  },
};
