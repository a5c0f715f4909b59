import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { Request, Response } from 'express';
import Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from '@vulnzero/config';
import { redisOptionsFromUrl } from '@vulnzero/queues';
import { isTerminalTask, taskEventsChannel, TasksService, toTaskView } from '@vulnzero/tasks';

const POLL_MS = 2_000;
const HEARTBEAT_MS = 15_000;

type Listener = (message: string) => void;

/**
 * `GET /tasks/:id/events`: forwards the worker's live events (Redis pub/sub)
 * and re-reads the task from PostgreSQL on each task event and every few
 * seconds, so a missed message only delays an update. Ends with the final
 * state once the task is finished.
 */
@Injectable()
export class TaskEventStream implements OnModuleDestroy {
  private readonly logger = new Logger(TaskEventStream.name);
  private readonly subscriber: Redis;
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(
    private readonly tasks: TasksService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.subscriber = new Redis({ ...redisOptionsFromUrl(config.redisUrl, 'queue'), lazyConnect: true });
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (channel: string, message: string) => {
      for (const listener of this.listeners.get(channel) ?? []) listener(message);
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.subscriber.disconnect();
  }

  async follow(taskId: string, req: Request, res: Response): Promise<void> {
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();

    const channel = taskEventsChannel(taskId);
    let closed = false;
    let lastState = '';
    let eventId = 0;
    const send = (event: string, data: unknown) => {
      if (closed) return;
      eventId += 1;
      res.write(`id: ${eventId}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const close = () => {
      if (closed) return;
      closed = true;
      clearInterval(poll);
      clearInterval(heartbeat);
      this.unlisten(channel, onMessage);
      res.end();
    };
    const refresh = async () => {
      try {
        const view = toTaskView(await this.tasks.get(taskId));
        const state = JSON.stringify(view);
        if (state !== lastState) {
          lastState = state;
          send('task', view);
        }
        if (isTerminalTask(view.status)) {
          send('end', view);
          close();
        }
      } catch (error) {
        this.logger.warn({ taskId, error: (error as Error).message }, 'task stream refresh failed');
      }
    };
    const onMessage: Listener = (message) => {
      let event: { type?: string };
      try {
        event = JSON.parse(message) as { type?: string };
      } catch {
        return;
      }
      if (event.type === 'task' || event.type === 'deployment') void refresh();
      else send(event.type ?? 'event', event);
    };
    const poll = setInterval(() => void refresh(), POLL_MS);
    const heartbeat = setInterval(() => !closed && res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    req.on('close', close);

    await this.listen(channel, onMessage);
    await refresh();
  }

  private async listen(channel: string, listener: Listener): Promise<void> {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      if (this.subscriber.status === 'wait') await this.subscriber.connect().catch(() => undefined);
      await this.subscriber.subscribe(channel).catch((error: Error) => {
        this.logger.warn({ channel, error: error.message }, 'live events unavailable; polling only');
      });
    }
    set.add(listener);
  }

  private unlisten(channel: string, listener: Listener): void {
    const set = this.listeners.get(channel);
    if (!set) return;
    set.delete(listener);
    if (set.size === 0) {
      this.listeners.delete(channel);
      void this.subscriber.unsubscribe(channel).catch(() => undefined);
    }
  }
}
