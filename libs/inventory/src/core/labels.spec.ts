import { labelsProblems, parseLabelFilters } from './labels';

describe('host labels', () => {
  it.each([
    ['no labels', {}],
    ['simple labels', { role: 'web', env: 'prod' }],
    ['keys with dots, slashes, underscores and hyphens', { 'team.io/owner': 'sre', 'rack_1-a': 'x' }],
    ['an empty value', { canary: '' }],
    ['a 63-character key', { [`a${'b'.repeat(62)}`]: 'v' }],
    ['a 128-character value', { note: 'x'.repeat(128) }],
    ['32 labels', Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, 'v']))],
  ])('accepts %s', (_what, labels) => {
    expect(labelsProblems(labels)).toEqual([]);
  });

  it.each([
    ['an array', ['web'], ['must be an object of string keys to string values']],
    ['a string', 'role=web', ['must be an object of string keys to string values']],
    ['null', null, ['must be an object of string keys to string values']],
    ['an upper-case key', { Role: 'web' }, [expect.stringMatching(/^key "Role": key must be/)]],
    ['a key starting with a dot', { '.x': 'y' }, [expect.stringMatching(/^key "\.x": /)]],
    ['a 64-character key', { [`a${'b'.repeat(63)}`]: 'v' }, [expect.stringMatching(/key must be 1-63/)]],
    ['an empty key', { '': 'v' }, [expect.stringMatching(/^key "": /)]],
    ['a number value', { port: 22 }, ['port: value must be a string']],
    ['a nested value', { env: { a: 'b' } }, ['env: value must be a string']],
    ['a 129-character value', { note: 'x'.repeat(129) }, ['note: value must be at most 128 characters']],
    ['a control character', { note: 'a\nb' }, ['note: value must not contain control characters']],
    ['33 labels', Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])), ['at most 32 labels are allowed']],
    ['a bad key and a bad value at once', { Bad: 1 }, [expect.stringMatching(/^key "Bad": key must/), 'key "Bad": value must be a string']],
  ])('refuses %s', (_what, labels, problems) => {
    expect(labelsProblems(labels)).toEqual(problems);
  });
});

describe('label filters (?label=key=value)', () => {
  it.each([
    ['no filter', undefined, {}],
    ['one filter as a string', 'role=web', { role: 'web' }],
    ['two filters', ['role=web', 'env=prod'], { role: 'web', env: 'prod' }],
    ['a value holding "="', 'query=a=b', { query: 'a=b' }],
    ['an empty value', 'canary=', { canary: '' }],
    ['the same filter twice', ['env=prod', 'env=prod'], { env: 'prod' }],
    ['a key named like an Object member', 'constructor=x', { constructor: 'x' }],
  ])('parses %s', (_what, raw, labels) => {
    expect(parseLabelFilters(raw)).toEqual({ ok: true, labels });
  });

  it.each([
    ['no "="', 'role', /label: "role" must be key=value/],
    ['an empty key', '=web', /label: "=web": key must be/],
    ['an upper-case key', 'Role=web', /label: "Role=web": key must be/],
    ['a too long value', `note=${'x'.repeat(129)}`, /value must be at most 128/],
    ['two values for one key', ['env=prod', 'env=dev'], /label: key env is given twice with different values/],
    ['33 filters', Array.from({ length: 33 }, (_, i) => `k${i}=v`), /at most 32 label filters/],
  ])('refuses %s', (_what, raw, message) => {
    const result = parseLabelFilters(raw);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors.join('\n')).toMatch(message);
  });
});
