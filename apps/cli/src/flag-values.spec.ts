import { UsageError } from './cli-errors';
import { parseDurationFlag, parseIndices, parseLabels, parseList, parseSize, parseSteps, parseWholeSeconds } from './flag-values';

describe('flag values', () => {
  it('splits lists and trims items', () => expect(parseList('--hosts', 'a, b ,c')).toEqual(['a', 'b', 'c']));
  it('refuses a list with an empty item, naming the flag', () =>
    expect(() => parseList('--hosts', 'a,,b')).toThrow(/--hosts: expected a comma-separated list/));

  it('reads labels, splitting each pair at its first "="', () =>
    expect(parseLabels('--labels', 'role=web,env=prod,q=a=b')).toEqual({ role: 'web', env: 'prod', q: 'a=b' }));
  it.each([
    ['role', /"role" must be key=value/],
    ['=web', /must be key=value/],
    ['Role=web', /label key "Role" must be/],
    ['env=a,env=b', /env is given twice/],
  ])('refuses labels %j', (raw, message) => {
    expect(() => parseLabels('--labels', raw)).toThrow(UsageError);
    expect(() => parseLabels('--labels', raw)).toThrow(message);
  });

  it('reads canary steps as counts and percentages', () =>
    expect(parseSteps('--steps', '1,10%,50%,100%')).toEqual([1, '10%', '50%', '100%']));
  it.each(['0', '0%', '101%', 'ten', '1.5', '-1'])('refuses the step %j', (step) =>
    expect(() => parseSteps('--steps', step)).toThrow(/--steps/),
  );
  it('accepts zero failures as a count or a percentage', () => {
    expect(parseSize('--max-failures', '0', { allowZero: true })).toBe(0);
    expect(parseSize('--max-failures', '0%', { allowZero: true })).toBe('0%');
  });

  it('reads step indices', () => expect(parseIndices('--pause-after', '0,2')).toEqual([0, 2]));
  it('refuses a step index that is not a whole number', () =>
    expect(() => parseIndices('--pause-after', '1st')).toThrow(/--pause-after: "1st" must be a step index/));

  it('reads durations and whole seconds', () => {
    expect(parseDurationFlag('--timeout', '30m')).toBe(1_800_000);
    expect(parseWholeSeconds('--bake', '1m')).toBe(60);
    expect(() => parseWholeSeconds('--bake', '1500ms')).toThrow(/--bake: 1500ms must be whole seconds/);
    expect(() => parseDurationFlag('--timeout', 'soon')).toThrow(/--timeout: "soon" must be a duration/);
  });
});
