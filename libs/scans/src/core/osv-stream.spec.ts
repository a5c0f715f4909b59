import { OsvRecordSplitter, OsvSyntaxError } from './osv-stream';

function split(chunks: string[]): unknown[] {
  const splitter = new OsvRecordSplitter();
  const records = chunks.flatMap((chunk) => splitter.push(Buffer.from(chunk)));
  return [...records, ...splitter.end()].map(([, record]) => record);
}

describe('OsvRecordSplitter', () => {
  it('takes one object', () => {
    expect(split(['{"id":"A"}'])).toEqual([{ id: 'A' }]);
  });

  it('takes an array, split anywhere, braces inside strings included', () => {
    const body = '[ {"id":"A","s":"} ] { \\" ,"} , {"id":"B","n":{"x":[1,2]}} ]';
    for (let cut = 1; cut < body.length; cut++) {
      expect(split([body.slice(0, cut), body.slice(cut)])).toEqual([
        { id: 'A', s: '} ] { " ,' },
        { id: 'B', n: { x: [1, 2] } },
      ]);
    }
  });

  it('takes newline-delimited JSON', () => {
    expect(split(['{"id":"A"}\n{"id":', '"B"}\n\n{"id":"C"}\n'])).toEqual([{ id: 'A' }, { id: 'B' }, { id: 'C' }]);
  });

  it('keeps multi-byte characters cut between chunks', () => {
    const bytes = Buffer.from('[{"summary":"é€"}]');
    const splitter = new OsvRecordSplitter();
    const records = [...splitter.push(bytes.subarray(0, 15)), ...splitter.push(bytes.subarray(15)), ...splitter.end()];
    expect(records).toEqual([[0, { summary: 'é€' }]]);
  });

  it('takes an empty array as no records', () => {
    expect(split(['[]'])).toEqual([]);
  });

  it.each([
    ['', '[0]: the body holds no OSV record'],
    ['[{"id":"A"}', 'ends before the closing "]"'],
    ['[{"id":"A"} {"id":"B"}]', '[1]: expected "," or "]"'],
    ['[{"id":"A"},42]', '[1]: each record must be a JSON object'],
    ['{"id":"A"}\n{"id":', '[1]: the body ends inside a record'],
    ['{"id":"A"}\n{"id" "B"}', '[1]: is not valid JSON'],
    ['[{"id":"A"}] x', 'after the closing "]"'],
  ])('names the record of a syntax error in %j', (body, message) => {
    expect(() => split([body])).toThrow(OsvSyntaxError);
    expect(() => split([body])).toThrow(message);
  });
});
