// `--wait` and `task wait`: follow a task to its end, then print what it
// did (for a deployment: hosts by status and the failed hosts with their
// errors) and answer with the exit code CI branches on.
import { CliError, WaitTimeoutError } from './cli-errors';
import type { CommandContext } from './command';
import { ExitCode, exitCodeForTask } from './exit-codes';
import type { DeploymentView, ScanView, TaskView } from './gateway-types';
import { describeTask, renderDeploymentSummary, renderScanSummary } from './progress-render';
import { ProgressReporter } from './progress-reporter';
import { TaskFollower } from './task-follower';

export interface WaitResult {
  exitCode: ExitCode;
  task: TaskView;
  deployment?: DeploymentView;
  scan?: ScanView;
}

export async function waitForTask(ctx: CommandContext, taskId: string, timeoutMs: number | undefined): Promise<WaitResult> {
  const reporter = new ProgressReporter(ctx.output);
  const follower = new TaskFollower(ctx.client(), taskId, { timeoutMs, reporter });
  const interrupt = () => {
    reporter.finish();
    ctx.output.stderr.write(`\ninterrupted: task ${taskId} keeps running on the server; follow it with: vulnzero task wait ${taskId}\n`);
    process.exit(130);
  };
  process.once('SIGINT', interrupt);
  let task: TaskView;
  try {
    task = await follower.follow();
  } catch (error) {
    reporter.finish();
    if (error instanceof WaitTimeoutError && ctx.output.json && follower.lastTask) {
      throw new TimeoutWithTask(error, follower.lastTask);
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', interrupt);
  }
  reporter.finish();
  const result: WaitResult = { exitCode: exitCodeForTask(task), task };
  await summarize(ctx, task, result);
  return result;
}

/** A timeout that carries the last task state into the --json error document. */
export class TimeoutWithTask extends CliError {
  constructor(
    cause: WaitTimeoutError,
    readonly task: TaskView,
  ) {
    super(cause.message, cause.exitCode, cause.code, cause.details);
  }
}

async function summarize(ctx: CommandContext, task: TaskView, result: WaitResult): Promise<void> {
  const out = ctx.output;
  out.line();
  if (task.resourceType === 'deployment' && task.resourceId) {
    const deployment = await ctx.client().get<DeploymentView>(`/deployments/${task.resourceId}`);
    result.deployment = deployment;
    out.line(`task ${task.id}: ${describeTask(task)}`);
    out.lines(renderDeploymentSummary(deployment));
    if (deployment.status === 'succeeded' && task.type === 'deploy') {
      out.line();
      out.line(`to undo it: vulnzero rollback ${deployment.id} --wait`);
    }
  } else if (task.resourceType === 'scan' && task.resourceId) {
    const scan = await ctx.client().get<ScanView>(`/scans/${task.resourceId}`);
    result.scan = scan;
    out.line(`task ${task.id}: ${describeTask(task)}`);
    out.lines(renderScanSummary(scan));
  } else {
    out.line(`task ${task.id}: ${describeTask(task)}`);
  }
}
