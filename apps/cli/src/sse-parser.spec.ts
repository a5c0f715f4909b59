import { SseParser } from './sse-parser';

describe('SseParser', () => {
  it('parses named events with ids, as the gateway sends them', () => {
    const parser = new SseParser();
    const events = parser.push('id: 1\nevent: task\ndata: {"status":"running"}\n\nid: 2\nevent: end\ndata: {"status":"succeeded"}\n\n');
    expect(events).toEqual([
      { event: 'task', data: '{"status":"running"}', id: '1' },
      { event: 'end', data: '{"status":"succeeded"}', id: '2' },
    ]);
    expect(parser.lastEventId).toBe('2');
  });

  it('completes an event split across chunks at any byte', () => {
    const text = 'event: host\ndata: {"hostName":"web-01"}\n\n';
    for (let cut = 1; cut < text.length; cut += 1) {
      const parser = new SseParser();
      const events = [...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut))];
      expect(events).toEqual([{ event: 'host', data: '{"hostName":"web-01"}' }]);
    }
  });

  it('ignores comments (heartbeats), joins multi-line data, and reads CRLF and CR line ends', () => {
    const parser = new SseParser();
    expect(parser.push(': keep-alive\r\n\r\ndata: a\r\ndata: b\r\n\r\ndata:c\r\rretry: 3000\n')).toEqual([
      { event: 'message', data: 'a\nb' },
      { event: 'message', data: 'c' },
    ]);
    expect(parser.retryMs).toBe(3000);
  });

  it('waits when a chunk ends with CR that may be half of CRLF', () => {
    const parser = new SseParser();
    expect(parser.push('data: x\r')).toEqual([]);
    expect(parser.push('\n\r\n')).toEqual([{ event: 'message', data: 'x' }]);
  });

  it('dispatches nothing for a block without data', () => {
    expect(new SseParser().push('event: task\n\n')).toEqual([]);
  });
});
