import type { Request, Response } from 'express';

const HEARTBEAT_MS = 15_000;
/**
 * Events held for a client that reads slower than they come. Past this, the
 * client is dropped (it reconnects and re-reads the record) rather than let
 * one slow reader grow the gateway's memory.
 */
const MAX_PENDING_BYTES = 1024 * 1024;

export interface EventStream {
  send(event: string, data: unknown): void;
  /** Ends the response and runs the cleanups; safe to call twice. */
  close(): void;
  /** Runs when the stream ends, by `close()` or because the client went away. */
  onClose(cleanup: () => void): void;
  readonly closed: boolean;
}

/**
 * Starts a Server-Sent Events response: headers, numbered events, a heartbeat,
 * cleanup on disconnect. Writes respect backpressure: once the socket's buffer
 * is full, events wait for 'drain' (bounded, see MAX_PENDING_BYTES).
 */
export function openEventStream(req: Request, res: Response): EventStream {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('Connection', 'keep-alive');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();

  let closed = false;
  let eventId = 0;
  const cleanups: (() => void)[] = [];
  const pending: string[] = [];
  let pendingBytes = 0;
  let draining = false;

  const flush = (): void => {
    draining = false;
    while (!closed && pending.length > 0) {
      const text = pending.shift() as string;
      pendingBytes -= Buffer.byteLength(text);
      if (!res.write(text)) {
        wait();
        return;
      }
    }
  };
  const wait = (): void => {
    draining = true;
    res.once('drain', flush);
  };
  const write = (text: string): void => {
    if (closed) return;
    if (draining) {
      pending.push(text);
      pendingBytes += Buffer.byteLength(text);
      if (pendingBytes > MAX_PENDING_BYTES) {
        pending.length = 0;
        stream.close();
      }
      return;
    }
    if (!res.write(text)) wait();
  };

  const heartbeat = setInterval(() => !draining && write(': keep-alive\n\n'), HEARTBEAT_MS);
  const stream: EventStream = {
    get closed() {
      return closed;
    },
    send(event, data) {
      if (closed) return;
      eventId += 1;
      write(`id: ${eventId}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    close() {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      res.removeListener('drain', flush);
      for (const cleanup of cleanups) cleanup();
      // The last events (the final state) still go out: bounded by MAX_PENDING_BYTES.
      res.end(pending.splice(0).join(''));
    },
    onClose(cleanup) {
      cleanups.push(cleanup);
    },
  };
  req.on('close', () => stream.close());
  return stream;
}
