import type Redis from 'ioredis';
import { HOST_OUTPUT_MESSAGE_BYTES } from '../core/host-output';
import { HostOutputMessage, HostOutputPublisher } from './host-output-publisher';

/** A recording stand-in for the Redis client: only `publish` is used. */
function recordingRedis() {
  const published: { channel: string; message: string }[] = [];
  const redis = {
    publish: (channel: string, message: string) => {
      published.push({ channel, message });
      return Promise.resolve(1);
    },
  } as unknown as Redis;
  return { redis, published, messages: () => published.map((p) => JSON.parse(p.message) as HostOutputMessage) };
}

describe('HostOutputPublisher', () => {
  it('publishes a command output on the host channel, each message at most 8 KiB, in order', () => {
    const { redis, published, messages } = recordingRedis();
    const live = new HostOutputPublisher(redis).forCommand('d1', 'h1', 'apply', 'make install');
    const text = Array.from({ length: 3000 }, (_, i) => `line ${i} é\n`).join('');
    for (let i = 0; i < text.length; i += 1000) live.onOutput('stdout', Buffer.from(text.slice(i, i + 1000)));
    live.end();
    expect(new Set(published.map((p) => p.channel))).toEqual(new Set(['vz:host-output:d1:h1']));
    for (const p of published) expect(Buffer.byteLength(p.message)).toBeLessThanOrEqual(HOST_OUTPUT_MESSAGE_BYTES);
    expect(
      messages()
        .map((m) => m.text)
        .join(''),
    ).toBe(text);
    expect(messages().every((m) => m.phase === 'apply' && m.stream === 'stdout' && m.dropped === undefined)).toBe(true);
  });

  it('never splits a character cut between two chunks', () => {
    const { redis, messages } = recordingRedis();
    const live = new HostOutputPublisher(redis).forCommand('d1', 'h1', 'apply', 'x');
    const bytes = Buffer.from('né');
    live.onOutput('stdout', bytes.subarray(0, 2));
    live.onOutput('stdout', bytes.subarray(2));
    live.onOutput('stderr', Buffer.from('oops'));
    live.end();
    expect(messages().map((m) => [m.stream, m.text])).toEqual([
      ['stdout', 'né'],
      ['stderr', 'oops'],
    ]);
  });

  it('drops what a flooding command prints beyond the buffer and says how much', () => {
    const { redis, messages } = recordingRedis();
    const live = new HostOutputPublisher(redis).forCommand('d1', 'h1', 'apply', 'yes');
    const chunk = Buffer.alloc(1024, 'y');
    for (let i = 0; i < 100; i += 1) live.onOutput('stdout', chunk);
    live.end();
    const sent = messages();
    expect(sent.map((m) => m.text).join('').length).toBe(64 * 1024);
    expect(sent.at(-1)?.dropped).toBe(36 * 1024);
  });
});
