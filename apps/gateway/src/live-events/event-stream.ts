import type { Request, Response } from 'express';

const HEARTBEAT_MS = 15_000;

export interface EventStream {
  send(event: string, data: unknown): void;
  /** Ends the response and runs the cleanups; safe to call twice. */
  close(): void;
  /** Runs when the stream ends, by `close()` or because the client went away. */
  onClose(cleanup: () => void): void;
  readonly closed: boolean;
}

/** Starts a Server-Sent Events response: headers, numbered events, a heartbeat, cleanup on disconnect. */
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
  const heartbeat = setInterval(() => !closed && res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  const stream: EventStream = {
    get closed() {
      return closed;
    },
    send(event, data) {
      if (closed) return;
      eventId += 1;
      res.write(`id: ${eventId}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    close() {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      for (const cleanup of cleanups) cleanup();
      res.end();
    },
    onClose(cleanup) {
      cleanups.push(cleanup);
    },
  };
  req.on('close', () => stream.close());
  return stream;
}
