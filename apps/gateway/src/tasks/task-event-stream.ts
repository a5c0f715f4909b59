import { Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { isTerminalTask, taskEventsChannel, TasksService, toTaskView } from '@vulnzero/tasks';
import type { RequestWithActor } from '@vulnzero/auth';
import { openEventStream } from '../live-events/event-stream';
import { LiveStreamSlots } from '../live-events/live-stream-slots';
import { RedisChannels } from '../live-events/redis-channels';

const POLL_MS = 2_000;

/**
 * `GET /tasks/:id/events`: forwards the worker's live events (Redis pub/sub)
 * and re-reads the task from PostgreSQL on each task event and every few
 * seconds, so a missed message only delays an update. Ends with the final
 * state once the task is finished.
 */
@Injectable()
export class TaskEventStream {
  private readonly logger = new Logger(TaskEventStream.name);

  constructor(
    private readonly tasks: TasksService,
    private readonly channels: RedisChannels,
    private readonly slots: LiveStreamSlots,
  ) {}

  /** Throws 429 (before the stream starts) when the caller or the gateway holds as many streams as allowed. */
  async follow(taskId: string, req: Request, res: Response): Promise<void> {
    const release = this.slots.acquire((req as Partial<RequestWithActor>).actor);
    const stream = openEventStream(req, res);
    stream.onClose(release);
    let lastState = '';
    const refresh = async () => {
      try {
        const view = toTaskView(await this.tasks.get(taskId));
        const state = JSON.stringify(view);
        if (state !== lastState) {
          lastState = state;
          stream.send('task', view);
        }
        if (isTerminalTask(view.status)) {
          stream.send('end', view);
          stream.close();
        }
      } catch (error) {
        this.logger.warn({ taskId, error: (error as Error).message }, 'task stream refresh failed');
      }
    };
    const poll = setInterval(() => void refresh(), POLL_MS);
    stream.onClose(() => clearInterval(poll));
    const stop = await this.channels.listen(taskEventsChannel(taskId), (message) => {
      let event: { type?: string };
      try {
        event = JSON.parse(message) as { type?: string };
      } catch {
        return;
      }
      if (event.type === 'task' || event.type === 'deployment') void refresh();
      else stream.send(event.type ?? 'event', event);
    });
    if (stream.closed) stop();
    else stream.onClose(stop);
    await refresh();
  }
}
