import { OutputTail } from './output-tail';

const feed = (limit: number, chunks: string[]): OutputTail => {
  const tail = new OutputTail(limit);
  for (const chunk of chunks) tail.push(Buffer.from(chunk, 'utf8'));
  return tail;
};

describe('OutputTail', () => {
  it.each([
    ['keeps everything under the limit', 10, ['abc', 'def'], 'abcdef', false],
    ['keeps everything exactly at the limit', 6, ['abc', 'def'], 'abcdef', false],
    ['keeps the last bytes across chunks', 4, ['abc', 'def'], 'cdef', true],
    ['keeps the last bytes of one big chunk', 3, ['abcdefgh'], 'fgh', true],
    ['keeps the last bytes after many small chunks', 5, 'the quick brown fox'.split(''), 'n fox', true],
    ['keeps nothing with a zero limit', 0, ['abc'], '', true],
    ['reports nothing for no output', 8, [], '', false],
    ['drops a multi-byte character cut in half rather than showing U+FFFD', 4, ['xx', 'é€'], '€', true],
  ])('%s', (_name, limit, chunks, text, truncated) => {
    const tail = feed(limit, chunks);
    expect(tail.text()).toBe(text);
    expect(tail.truncated).toBe(truncated);
  });

  it('counts every byte seen while holding at most twice the limit', () => {
    const tail = new OutputTail(1024);
    for (let i = 0; i < 1000; i++) tail.push(Buffer.alloc(100, i % 10 === 9 ? 'z' : 'a'));
    expect(tail.totalBytes).toBe(100_000);
    expect(tail.text()).toHaveLength(1024);
    expect(tail.text().endsWith('z'.repeat(100))).toBe(true);
  });

  it('refuses a negative limit', () => {
    expect(() => new OutputTail(-1)).toThrow(RangeError);
  });

  it('keeps NUL bytes out of the text (PostgreSQL text and jsonb refuse them)', () => {
    const tail = new OutputTail(64);
    tail.push(Buffer.from('a\0b\0', 'utf8'));
    expect(tail.text()).toBe('a\uFFFDb\uFFFD');
  });
});
