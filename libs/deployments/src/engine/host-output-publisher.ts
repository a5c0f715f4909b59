import { Inject, Injectable, Logger } from '@nestjs/common';
import { StringDecoder } from 'node:string_decoder';
import type Redis from 'ioredis';
import { REDIS_CLIENT } from '@vulnzero/queues';
import type { OutputStream } from '@vulnzero/ssh';
import type { CommandRecord } from '../deployment.entity';
import { HOST_OUTPUT_TEXT_BYTES, hostOutputChannel, splitUtf8 } from '../core/host-output';

/** How often a command's buffered output is published: throttles chatty commands. */
const FLUSH_MS = 200;
/** A command printing faster than followers can take is cut: at most this much buffered per flush. */
const MAX_BUFFERED_BYTES = 64 * 1024;

export interface HostOutputMessage {
  type: 'output';
  phase: CommandRecord['phase'];
  command: string;
  stream: OutputStream;
  text: string;
  at: string;
  /** Bytes dropped after this text (the command printed faster than the budget); the record keeps its tail. */
  dropped?: number;
}

/**
 * Live stdout/stderr of one host's commands over Redis pub/sub, for
 * `GET /deployments/:id/hosts/:hostId/output?follow=true`. Hints, like task
 * events: the record is the host's `output` in PostgreSQL. Each message is at
 * most 8 KiB and each command publishes at most every FLUSH_MS.
 */
@Injectable()
export class HostOutputPublisher {
  private readonly logger = new Logger(HostOutputPublisher.name);

  constructor(@Inject(REDIS_CLIENT) private readonly redis: Redis) {}

  /** An `onOutput` for one command; call the returned `end` once the command has finished. */
  forCommand(deploymentId: string, hostId: string, phase: CommandRecord['phase'], command: string) {
    const channel = hostOutputChannel(deploymentId, hostId);
    const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
    const buffered: { stream: OutputStream; text: string }[] = [];
    let bufferedBytes = 0;
    let dropped = 0;
    let timer: NodeJS.Timeout | undefined;
    const excerpt = command.slice(0, 200);

    const flush = () => {
      timer = undefined;
      const pending = buffered.splice(0);
      bufferedBytes = 0;
      const messages: HostOutputMessage[] = [];
      for (const { stream, text } of pending) {
        for (const piece of splitUtf8(text, HOST_OUTPUT_TEXT_BYTES)) {
          messages.push({ type: 'output', phase, command: excerpt, stream, text: piece, at: new Date().toISOString() });
        }
      }
      if (dropped > 0) {
        const last = messages.at(-1) ?? {
          type: 'output',
          phase,
          command: excerpt,
          stream: 'stdout',
          text: '',
          at: new Date().toISOString(),
        };
        if (messages.length === 0) messages.push(last);
        last.dropped = dropped;
        dropped = 0;
      }
      for (const message of messages) {
        this.redis.publish(channel, JSON.stringify(message)).catch((error: Error) => {
          this.logger.debug(`host output not published (${error.message}); followers read the record`);
        });
      }
    };
    const add = (stream: OutputStream, text: string) => {
      if (!text) return;
      const bytes = Buffer.byteLength(text);
      if (bufferedBytes + bytes > MAX_BUFFERED_BYTES) {
        dropped += bytes;
        return;
      }
      const last = buffered[buffered.length - 1];
      if (last && last.stream === stream) last.text += text;
      else buffered.push({ stream, text });
      bufferedBytes += bytes;
      timer ??= setTimeout(flush, FLUSH_MS);
    };
    return {
      onOutput: (stream: OutputStream, chunk: Buffer) => add(stream, decoders[stream].write(chunk)),
      end: () => {
        add('stdout', decoders.stdout.end());
        add('stderr', decoders.stderr.end());
        if (timer) clearTimeout(timer);
        flush();
      },
    };
  }
}
