import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { Request, Response } from 'express';
import Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from '@vulnzero/config';
import { DeploymentsService, hostOutputChannel } from '@vulnzero/deployments';
import { redisOptionsFromUrl } from '@vulnzero/queues';

const POLL_MS = 1_000;
const HEARTBEAT_MS = 15_000;

type Listener = (message: string) => void;

/**
 * `GET /deployments/:id/hosts/:hostId/output?follow=true`: the host's recorded
 * commands first (`record` events), then its live stdout/stderr (`output`
 * events) as the worker publishes them, then `end` with the host's final
 * record once it is settled. The host's status is re-read every second, so a
 * lost message never leaves a follower waiting forever.
 */
@Injectable()
export class HostOutputStream implements OnModuleDestroy {
  private readonly logger = new Logger(HostOutputStream.name);
  private readonly subscriber: Redis;
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(
    private readonly deployments: DeploymentsService,
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

  async follow(deploymentId: string, hostId: string, req: Request, res: Response): Promise<void> {
    // 404s before the stream starts: an unknown deployment or host is an error, not an empty stream.
    const initial = await this.deployments.hostOutput(deploymentId, hostId);
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();

    const channel = hostOutputChannel(deploymentId, hostId);
    let closed = false;
    let eventId = 0;
    let recorded = 0;
    let lastStatus = '';
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
        close();
      }
    };
    const refresh = async () => {
      try {
        publish(await this.deployments.hostOutput(deploymentId, hostId));
      } catch (error) {
        this.logger.warn({ deploymentId, hostId, error: (error as Error).message }, 'host output stream refresh failed');
      }
    };
    const onMessage: Listener = (message) => {
      try {
        send('output', JSON.parse(message));
      } catch {
        // not ours: ignore
      }
    };
    const poll = setInterval(() => void refresh(), POLL_MS);
    const heartbeat = setInterval(() => !closed && res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    req.on('close', close);

    if (!initial.settled) {
      for (const record of initial.output) send('record', record);
      recorded = initial.output.length;
    }
    await this.listen(channel, onMessage);
    publish(initial);
  }

  private async listen(channel: string, listener: Listener): Promise<void> {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      if (this.subscriber.status === 'wait') await this.subscriber.connect().catch(() => undefined);
      await this.subscriber.subscribe(channel).catch((error: Error) => {
        this.logger.warn({ channel, error: error.message }, 'live host output unavailable; records only');
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
