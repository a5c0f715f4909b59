import { describe, expect, it } from '@jest/globals';
import { SseEvent, SseParser } from './sse';

function parse(chunks: string[]): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = new SseParser((e) => events.push(e));
  for (const chunk of chunks) parser.push(chunk);
  return events;
}

describe('SseParser', () => {
  it('reads the gateway task stream: id, event name and JSON data, comments skipped', () => {
    const stream = 'id: 1\nevent: task\ndata: {"status":"running"}\n\n: keep-alive\n\nid: 2\nevent: end\ndata: {"status":"succeeded"}\n\n';
    expect(parse([stream])).toEqual([
      { event: 'task', data: '{"status":"running"}', id: '1' },
      { event: 'end', data: '{"status":"succeeded"}', id: '2' },
    ]);
  });

  it('joins events split across chunks anywhere, CRLF included', () => {
    const stream = 'event: host\r\ndata: {"a":1}\r\n\r\nevent: task\r\ndata: x\r\n\r\n';
    const oneByOne = parse([...stream]);
    expect(oneByOne).toEqual([
      { event: 'host', data: '{"a":1}', id: undefined },
      { event: 'task', data: 'x', id: undefined },
    ]);
    expect(parse([stream.slice(0, 7), stream.slice(7, 30), stream.slice(30)])).toEqual(oneByOne);
  });

  it('joins multi-line data with newlines, defaults the event name to "message", and waits for the blank line', () => {
    expect(parse(['data: one\ndata:two\n\n', 'data: pending'])).toEqual([{ event: 'message', data: 'one\ntwo', id: undefined }]);
  });
});
