import { EventEmitter } from 'node:events';
import type { Request, Response } from 'express';
import { openEventStream } from './event-stream';

/** A response whose socket buffer is full until `drain()`: records what was written. */
class SlowResponse extends EventEmitter {
  written: string[] = [];
  ended = false;
  full = false;
  status() {
    return this;
  }
  setHeader() {}
  flushHeaders() {}
  write(text: string): boolean {
    this.written.push(text);
    return !this.full;
  }
  end(text?: string) {
    if (text) this.written.push(text);
    this.ended = true;
  }
  drain() {
    this.full = false;
    this.emit('drain');
  }
}

function open() {
  const req = new EventEmitter();
  const res = new SlowResponse();
  const stream = openEventStream(req as unknown as Request, res as unknown as Response);
  return { res, stream };
}

describe('openEventStream', () => {
  it('holds events while the socket buffer is full and writes them, in order, on drain', () => {
    const { res, stream } = open();
    res.full = true;
    stream.send('task', { n: 1 });
    stream.send('task', { n: 2 });
    stream.send('task', { n: 3 });
    // The first write found the buffer full: nothing more is written until 'drain'.
    expect(res.written).toHaveLength(1);
    res.drain();
    expect(res.written.map((text) => JSON.parse(/data: (.*)\n/.exec(text)?.[1] ?? 'null').n)).toEqual([1, 2, 3]);
    stream.close();
  });

  it('still sends the held events, the final state among them, when closed before a drain', () => {
    const { res, stream } = open();
    res.full = true;
    stream.send('task', { n: 1 });
    stream.send('end', { n: 2 });
    stream.close();
    expect(res.ended).toBe(true);
    expect(res.written.join('')).toContain('event: end');
  });

  it('drops a reader more than 1 MiB behind instead of holding its events', () => {
    const { res, stream } = open();
    res.full = true;
    const cleanups: string[] = [];
    stream.onClose(() => cleanups.push('closed'));
    const big = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 20 && !stream.closed; i++) stream.send('output', { text: big });
    expect(stream.closed).toBe(true);
    expect(cleanups).toEqual(['closed']);
    // What was held is dropped, not written at the end.
    expect(res.written.join('').length).toBeLessThan(128 * 1024);
  });
});
