import express from 'express';
import { weakEtag } from './weak-etag';

// Express's own default generator ('etag' setting: weak).
const expressEtag = express().get('etag fn') as (body: Buffer | string, encoding?: BufferEncoding) => string;

describe('weakEtag', () => {
  it.each([
    ['an empty body', ''],
    ['a JSON body', JSON.stringify({ id: 'a6f0c1de-0000-4000-8000-000000000000', status: 'running', progress: { done: 21, total: 200 } })],
    ['a body with multi-byte characters', JSON.stringify({ name: 'café ✓ 日本' })],
    ['a body over 64 KiB', 'x'.repeat(70_000)],
  ])('is the tag Express would send for %s, from a string or a Buffer', (_name, text) => {
    const expected = expressEtag(Buffer.from(text, 'utf8'));
    expect(expected).toMatch(/^W\//);
    expect(weakEtag(text, 'utf8')).toBe(expected);
    expect(weakEtag(Buffer.from(text, 'utf8'))).toBe(expected);
  });
});
