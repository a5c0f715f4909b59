// Follows a task to its end: live over `GET /tasks/:id/events` (SSE),
// reconnecting with backoff when the stream drops, and polling
// `GET /tasks/:id` when the stream keeps failing or is not served (a proxy
// that buffers or strips it). The database is the record, so a reconnect
// loses nothing: the stream starts with the task's current state.
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError, GatewayError, NetworkError, WaitTimeoutError } from './cli-errors';
import { formatDuration } from './duration';
import { isTerminalTaskStatus } from './exit-codes';
import type { GatewayClient } from './gateway-client';
import type { TaskStreamEvent, TaskView } from './gateway-types';
import { SseParser } from './sse-parser';

export interface FollowReporter {
  task(task: TaskView): void;
  event(event: TaskStreamEvent): void;
  note(text: string): void;
}

export interface FollowOptions {
  /** Give up (exit 3) after this long; the task keeps running. */
  timeoutMs?: number;
  reporter: FollowReporter;
  /** Consecutive stream failures before falling back to polling. */
  maxStreamFailures?: number;
  pollIntervalMs?: number;
  /** A stream silent this long (the gateway sends a heartbeat every 15 s) is dead. */
  idleTimeoutMs?: number;
}

const BACKOFF_MS = [500, 1_000, 2_000, 4_000, 8_000, 15_000];

/** Errors worth retrying: the network, a rate limit, or the gateway's own trouble. */
export function isTransient(error: unknown): boolean {
  if (error instanceof NetworkError) return true;
  if (error instanceof GatewayError) return error.status === 429 || error.status >= 500;
  return false;
}

export function backoffMs(attempt: number): number {
  return BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)] as number;
}

class StreamNotServed extends Error {}
class StreamIdle extends Error {}

export class TaskFollower {
  private last: TaskView | undefined;
  private pausedNoted = false;

  constructor(
    private readonly client: GatewayClient,
    private readonly taskId: string,
    private readonly options: FollowOptions,
  ) {}

  /** The last state seen, for a timeout message. */
  get lastTask(): TaskView | undefined {
    return this.last;
  }

  async follow(): Promise<TaskView> {
    const timeout = new AbortController();
    const timer = this.options.timeoutMs !== undefined ? setTimeout(() => timeout.abort(), this.options.timeoutMs) : undefined;
    try {
      return await this.run(timeout.signal);
    } catch (error) {
      if (timeout.signal.aborted) throw this.timeoutError();
      throw error;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  private async run(signal: AbortSignal): Promise<TaskView> {
    const maxFailures = this.options.maxStreamFailures ?? 3;
    let failures = 0;
    while (failures < maxFailures) {
      let progressed = false;
      try {
        const end = await this.streamOnce(signal, () => (progressed = true));
        if (end) return end;
        // The stream closed without the end event (a restarted gateway, a proxy timeout).
        this.options.reporter.note('event stream closed early; reconnecting');
      } catch (error) {
        if (signal.aborted) throw error;
        if (error instanceof StreamNotServed) {
          this.options.reporter.note(`${error.message}; following by polling GET /tasks/${this.taskId}`);
          return this.poll(signal);
        }
        if (!(error instanceof StreamIdle) && !isTransient(error)) throw error;
        this.options.reporter.note(`event stream interrupted (${(error as Error).message}); reconnecting`);
      }
      failures = progressed ? 0 : failures + 1;
      await sleep(backoffMs(failures), undefined, { signal });
    }
    this.options.reporter.note(`event stream unavailable after ${maxFailures} attempts; following by polling GET /tasks/${this.taskId}`);
    return this.poll(signal);
  }

  /** One connection: the final task when the stream ended with `end`, else undefined. */
  private async streamOnce(signal: AbortSignal, onProgress: () => void): Promise<TaskView | undefined> {
    const connection = new AbortController();
    const abort = () => connection.abort();
    signal.addEventListener('abort', abort, { once: true });
    const idleMs = this.options.idleTimeoutMs ?? 45_000;
    let idle: NodeJS.Timeout | undefined;
    let idleFired = false;
    const armIdle = () => {
      if (idle) clearTimeout(idle);
      idle = setTimeout(() => {
        idleFired = true;
        connection.abort();
      }, idleMs);
    };
    try {
      const response = await this.client.stream(`/tasks/${this.taskId}/events`, connection.signal);
      const type = response.headers.get('content-type') ?? '';
      if (!type.includes('text/event-stream') || !response.body) {
        await response.body?.cancel().catch(() => undefined);
        throw new StreamNotServed(`the gateway answered the event stream with ${type || 'no content type'}`);
      }
      const parser = new SseParser();
      const decoder = new TextDecoder();
      armIdle();
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          armIdle();
          for (const event of parser.push(decoder.decode(chunk, { stream: true }))) {
            const end = this.handle(event.event, event.data);
            onProgress();
            if (end) return end;
          }
        }
      } catch (error) {
        if (idleFired) throw new StreamIdle(`no data for ${formatDuration(idleMs)}`);
        if (signal.aborted) throw error;
        throw new NetworkError(`the event stream broke: ${(error as Error).message}`);
      }
      return undefined;
    } finally {
      if (idle) clearTimeout(idle);
      signal.removeEventListener('abort', abort);
      connection.abort();
    }
  }

  private handle(name: string, raw: string): TaskView | undefined {
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return undefined;
    }
    if (name === 'task' || name === 'end') {
      const task = data as unknown as TaskView;
      this.update(task);
      if (name === 'end' || isTerminalTaskStatus(task.status)) return task;
      return undefined;
    }
    this.options.reporter.event({ event: name, data });
    return undefined;
  }

  private update(task: TaskView): void {
    this.last = task;
    this.options.reporter.task(task);
    if (task.status === 'paused' && !this.pausedNoted) {
      this.pausedNoted = true;
      const deployment = task.resourceType === 'deployment' && task.resourceId ? task.resourceId : '<deployment>';
      this.options.reporter.note(
        task.resumeAt
          ? `paused by its schedule (maintenance window or notBefore): resumes on its own at ${task.resumeAt} (or \`vulnzero cancel ${deployment}\`)`
          : `paused at a gate: continue with \`vulnzero promote ${deployment}\` (or \`vulnzero cancel ${deployment}\`)`,
      );
    } else if (task.status !== 'paused') {
      this.pausedNoted = false;
    }
  }

  private async poll(signal: AbortSignal): Promise<TaskView> {
    const interval = this.options.pollIntervalMs ?? 2_000;
    let failures = 0;
    for (;;) {
      try {
        const task = await this.client.get<TaskView>(`/tasks/${this.taskId}`, { signal });
        failures = 0;
        if (JSON.stringify(task) !== JSON.stringify(this.last)) this.update(task);
        if (isTerminalTaskStatus(task.status)) return task;
        await sleep(interval, undefined, { signal });
      } catch (error) {
        if (signal.aborted) throw error;
        if (!isTransient(error)) throw error;
        failures += 1;
        this.options.reporter.note(`${(error as CliError).message}; retrying`);
        await sleep(Math.max(interval, backoffMs(failures)), undefined, { signal });
      }
    }
  }

  private timeoutError(): WaitTimeoutError {
    const task = this.last;
    const state = task ? ` (last seen: ${task.status}${task.progress?.phase ? `, ${task.progress.phase}` : ''})` : '';
    const details = [`the task keeps running on the server; follow it with: vulnzero task wait ${this.taskId}`];
    if (task?.resourceType === 'deployment' && task.resourceId) {
      details.push(
        `deployment ${task.resourceId} is not stopped by this timeout: see GET /deployments/${task.resourceId}, or stop it with \`vulnzero cancel ${task.resourceId}\``,
      );
    }
    return new WaitTimeoutError(
      `timed out after ${formatDuration(this.options.timeoutMs ?? 0)} waiting for task ${this.taskId}${state}`,
      details,
    );
  }
}
