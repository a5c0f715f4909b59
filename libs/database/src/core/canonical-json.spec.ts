import { canonicalJson } from './canonical-json';

describe('canonicalJson', () => {
  it.each<{ name: string; value: unknown; expected: string }>([
    {
      name: 'sorts keys at every depth',
      value: { b: 1, a: { d: [true, null], c: 'x' } },
      expected: '{"a":{"c":"x","d":[true,null]},"b":1}',
    },
    { name: 'keeps the order of arrays', value: [3, 1, 2], expected: '[3,1,2]' },
    {
      name: 'leaves out a key whose value is undefined',
      value: { a: undefined, b: 1 },
      expected: '{"b":1}',
    },
    {
      name: 'writes null for undefined in an array, as JSON does',
      value: [undefined],
      expected: '[null]',
    },
    { name: 'writes -0 as 0', value: { n: -0 }, expected: '{"n":0}' },
    {
      name: 'escapes strings and keys as JSON does',
      value: { 'a"b': 'line\nbreak' },
      expected: '{"a\\"b":"line\\nbreak"}',
    },
    { name: 'writes a top-level null', value: null, expected: 'null' },
    {
      name: 'writes an empty object and array',
      value: { o: {}, a: [] },
      expected: '{"a":[],"o":{}}',
    },
  ])('$name', ({ value, expected }) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it('gives the same text whatever order the keys were written in', () => {
    expect(canonicalJson({ z: { y: 1, x: 2 }, a: 'b' })).toBe(canonicalJson({ a: 'b', z: { x: 2, y: 1 } }));
  });

  it('reads back as the value it encodes', () => {
    const value = {
      targets: { hostIds: ['h2', 'h1'] },
      strategy: { type: 'canary', steps: [1, '50%'] },
    };
    expect(JSON.parse(canonicalJson(value))).toEqual(value);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('refuses %p, which has no single JSON spelling', (n) => {
    expect(() => canonicalJson({ n })).toThrow(/finite/);
  });

  it.each([10n, () => 1, Symbol('s')])('refuses a value JSON has no text for (%p)', (value) => {
    expect(() => canonicalJson({ value })).toThrow(TypeError);
  });
});
