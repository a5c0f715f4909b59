import { NetworkError, UsageError } from '../cli-errors';
import { booleanFlag, Command, CommandContext, stringFlag } from '../command';
import { ExitCode } from '../exit-codes';
import { isUuid, parseDurationFlag } from '../flag-values';
import type { TaskView } from '../gateway-types';
import { scheduleFlags } from '../schedule-flags';
import { SseParser } from '../sse-parser';
import { waitForTask } from '../wait-for-task';

interface Accepted {
  deploymentId: string;
  taskId: string;
  statusUrl: string;
}

interface CommandRecord {
  phase: string;
  command: string;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

interface HostOutput {
  hostId: string;
  hostName: string;
  status: string;
  settled: boolean;
  error: string | null;
  output: CommandRecord[];
  /** The host's commands come a page at a time; null on the last page. */
  nextCursor?: string | null;
}

function deploymentArg(ctx: CommandContext, command: string): string {
  const [id, ...extra] = ctx.positionals;
  if (!id) throw new UsageError(`vulnzero ${command} needs the deployment id: vulnzero ${command} DEPLOYMENT`);
  if (extra.length > 0) throw new UsageError(`vulnzero ${command} takes one deployment id, got ${ctx.positionals.length}`);
  if (!isUuid(id)) throw new UsageError(`${JSON.stringify(id)} is not a deployment id (a UUID)`);
  return id;
}

export const retryCommand: Command = {
  name: 'retry',
  summary: 'deploy the same patch again to the hosts of a finished deployment that failed, were rolled back or never started',
  usage: 'retry DEPLOYMENT [--window NAME|JSON] [--not-before TIME] [--wait [--timeout 30m]]',
  positionals: ['DEPLOYMENT'],
  options: { wait: { type: 'boolean' }, timeout: { type: 'string' }, window: { type: 'string' }, 'not-before': { type: 'string' } },
  flagHelp: [
    ['--window NAME|JSON', 'the maintenance window of the retry (default: the same named or recurring window as the deployment retried)'],
    ['--not-before TIME', 'start no host before this ISO 8601 instant with its offset'],
    ['--wait', 'follow the new deployment to its end and exit with its verdict'],
    ['--timeout DURATION', 'with --wait: give up waiting after this long (exit 3; the deployment keeps running)'],
  ],
  notes: [
    'Only a failed, rolled back or cancelled deployment can be retried, once; healthy hosts are left alone.',
    'Exit codes: 0 succeeded (or accepted, without --wait), 1 failed, rolled back or refused (409), 2 usage/auth, 3 timeout.',
  ],
  examples: ['vulnzero retry 0b9e… --wait', 'vulnzero retry 0b9e… --json'],
  async run(ctx) {
    const id = deploymentArg(ctx, 'retry');
    const wait = booleanFlag(ctx, 'wait');
    const timeout = stringFlag(ctx, 'timeout');
    if (timeout !== undefined && !wait) throw new UsageError('--timeout applies with --wait only');
    const timeoutMs = timeout !== undefined ? parseDurationFlag('--timeout', timeout) : undefined;
    const accepted = await ctx
      .client()
      .post<Accepted>(`/deployments/${id}/retry`, scheduleFlags(stringFlag(ctx, 'window'), stringFlag(ctx, 'not-before')));
    ctx.output.line(`retry of deployment ${id} accepted: deployment ${accepted.deploymentId}, task ${accepted.taskId}`);
    if (!wait) {
      const task = await ctx.client().get<TaskView>(`/tasks/${accepted.taskId}`);
      ctx.output.line(`follow it: vulnzero task wait ${accepted.taskId}`);
      ctx.output.data({ retryOf: id, ...accepted, task });
      return ExitCode.ok;
    }
    const result = await waitForTask(ctx, accepted.taskId, timeoutMs);
    ctx.output.data({ retryOf: id, ...accepted, task: result.task, deployment: result.deployment });
    return result.exitCode;
  },
};

const FAILED_HOST = new Set(['failed', 'rolled_back', 'rollback_failed']);

function printRecord(ctx: CommandContext, record: CommandRecord): void {
  const verdict = record.timedOut ? 'timed out' : `exit ${record.exitCode ?? '?'}`;
  ctx.output.line(`$ [${record.phase}] ${record.command}   (${verdict})`);
  if (record.stdout) ctx.output.progress.write(record.stdout.endsWith('\n') ? record.stdout : `${record.stdout}\n`);
  if (record.stderr) ctx.output.stderr.write(record.stderr.endsWith('\n') ? record.stderr : `${record.stderr}\n`);
}

export const logsCommand: Command = {
  name: 'logs',
  summary: "print a host's command output in a deployment; -f follows it live until the host settles",
  usage: 'logs DEPLOYMENT --host NAME|ID [-f]',
  positionals: ['DEPLOYMENT'],
  options: { host: { type: 'string' }, follow: { type: 'boolean', short: 'f' } },
  flagHelp: [
    ['--host NAME|ID', 'the host, by inventory name or id (required)'],
    ['-f, --follow', 'stream stdout/stderr as the commands run, until the host is healthy, failed or rolled back'],
  ],
  notes: ['Exit codes: 0 the host is healthy (or still running, without -f), 1 it failed or was rolled back, or not found, 2 usage/auth.'],
  examples: ['vulnzero logs 0b9e… --host web-01', 'vulnzero logs 0b9e… --host web-01 -f'],
  async run(ctx) {
    const id = deploymentArg(ctx, 'logs');
    const wanted = stringFlag(ctx, 'host');
    if (!wanted) throw new UsageError('--host is required: the name or id of a host of the deployment');
    const deployment = await ctx.client().get<{ hosts: { hostId: string; hostName: string }[] }>(`/deployments/${id}`);
    const host = deployment.hosts.find((h) => h.hostName === wanted || h.hostId === wanted.toLowerCase());
    if (!host) {
      throw new UsageError(
        `--host: ${JSON.stringify(wanted)} is not a host of deployment ${id} (hosts: ${deployment.hosts
          .slice(0, 10)
          .map((h) => h.hostName)
          .join(', ')})`,
      );
    }
    const path = `/deployments/${id}/hosts/${host.hostId}/output`;
    if (!booleanFlag(ctx, 'follow')) {
      let view = await ctx.client().get<HostOutput>(path);
      const records = [...view.output];
      while (view.nextCursor) {
        view = await ctx.client().get<HostOutput>(`${path}?cursor=${encodeURIComponent(view.nextCursor)}`);
        records.push(...view.output);
      }
      view = { ...view, output: records, nextCursor: null };
      for (const record of view.output) printRecord(ctx, record);
      ctx.output.line(`${view.hostName}: ${view.status}${view.error ? ` — ${view.error}` : ''}`);
      ctx.output.data(view);
      return FAILED_HOST.has(view.status) ? ExitCode.failed : ExitCode.ok;
    }
    const controller = new AbortController();
    const response = await ctx.client().stream(`${path}?follow=true`, controller.signal);
    const parser = new SseParser();
    const decoder = new TextDecoder();
    const events: unknown[] = [];
    let final: { status: string; error: string | null } | undefined;
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        for (const event of parser.push(decoder.decode(chunk, { stream: true }))) {
          const data = JSON.parse(event.data) as Record<string, unknown>;
          events.push({ event: event.event, ...data });
          if (event.event === 'output') {
            (data.stream === 'stderr' ? ctx.output.stderr : ctx.output.progress).write(String(data.text));
          } else if (event.event === 'record') {
            printRecord(ctx, data as unknown as CommandRecord);
          } else if (event.event === 'status') {
            ctx.output.progress.write(`-- ${host.hostName}: ${String(data.status)}\n`);
          } else if (event.event === 'end') {
            final = data as unknown as { status: string; error: string | null };
          }
        }
        if (final) break;
      }
    } finally {
      controller.abort();
    }
    if (!final) throw new NetworkError('the output stream ended before the host settled; run the command again');
    ctx.output.line(`${host.hostName}: ${final.status}${final.error ? ` — ${final.error}` : ''}`);
    ctx.output.data({ hostId: host.hostId, hostName: host.hostName, status: final.status, error: final.error, events });
    return FAILED_HOST.has(final.status) ? ExitCode.failed : ExitCode.ok;
  },
};
