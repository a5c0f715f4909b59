import { Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DeploymentsService, hostOutputChannel } from '@vulnzero/deployments';
import type { RequestWithActor } from '@vulnzero/auth';
import { openEventStream } from '../live-events/event-stream';
import { LiveStreamSlots } from '../live-events/live-stream-slots';
import { RedisChannels } from '../live-events/redis-channels';

const POLL_MS = 1_000;

/**
 * `GET /deployments/:id/hosts/:hostId/output?follow=true`: the host's recorded
 * commands first (`record` events), then its live stdout/stderr (`output`
 * events) as the worker publishes them, then `end` with the host's final
 * record once it is settled. The host's status (not its output) is re-read
 * every second, so a lost message never leaves a follower waiting forever;
 * the recorded output is read twice: at the start and once the host settles.
 */
@Injectable()
export class HostOutputStream {
  private readonly logger = new Logger(HostOutputStream.name);

  constructor(
    private readonly deployments: DeploymentsService,
    private readonly channels: RedisChannels,
    private readonly slots: LiveStreamSlots,
  ) {}

  async follow(deploymentId: string, hostId: string, req: Request, res: Response): Promise<void> {
    // 404s before the stream starts: an unknown deployment or host is an error, not an empty stream.
    const initial = await this.deployments.hostOutput(deploymentId, hostId);
    const release = this.slots.acquire((req as Partial<RequestWithActor>).actor);
    const stream = openEventStream(req, res);
    stream.onClose(release);
    const send = stream.send.bind(stream);
    let recorded = 0;
    let lastStatus = '';
    const publish = (view: Awaited<ReturnType<DeploymentsService['hostOutput']>>) => {
      if (view.status !== lastStatus) {
        lastStatus = view.status;
        send('status', { hostId, hostName: view.hostName, status: view.status });
      }
      if (view.settled) {
        // Commands recorded since the stream began (the live chunks were hints): the full record closes it.
        for (const record of view.output.slice(recorded)) send('record', record);
        recorded = view.output.length;
        send('end', { hostId, hostName: view.hostName, status: view.status, error: view.error });
        stream.close();
      }
    };
    let reading = false;
    const refresh = async () => {
      if (reading || stream.closed) return;
      reading = true;
      try {
        const state = await this.deployments.hostOutputState(deploymentId, hostId);
        if (!state.settled) publish({ ...state, output: [] });
        else publish(await this.deployments.hostOutput(deploymentId, hostId));
      } catch (error) {
        this.logger.warn({ deploymentId, hostId, error: (error as Error).message }, 'host output stream refresh failed');
      } finally {
        reading = false;
      }
    };
    const poll = setInterval(() => void refresh(), POLL_MS);
    stream.onClose(() => clearInterval(poll));

    if (!initial.settled) {
      for (const record of initial.output) send('record', record);
      recorded = initial.output.length;
    }
    const stop = await this.channels.listen(hostOutputChannel(deploymentId, hostId), (message) => {
      try {
        send('output', JSON.parse(message));
      } catch {
        // not ours: ignore
      }
    });
    if (stream.closed) stop();
    else stream.onClose(stop);
    publish(initial);
  }
}
