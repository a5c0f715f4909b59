import { InvalidStrategyError, parseStrategy, resolveStepSize, STRATEGY_DEFAULTS, validateStrategy } from './strategy';

const canary = (extra: Record<string, unknown> = {}) => ({
  type: 'canary',
  steps: [1, '10%', '50%', '100%'],
  ...extra,
});

describe('validateStrategy', () => {
  it.each<[string, unknown, number | undefined]>([
    [
      'the SPEC example',
      canary({
        maxParallel: 20,
        maxFailures: 0,
        bakeSeconds: 30,
        pauseAfterStep: [],
        autoRollback: true,
      }),
      undefined,
    ],
    ['a canary with only steps (defaults for the rest)', canary(), 200],
    ['steps that round to the same count on a small fleet', canary(), 3],
    ['a count step larger than the fleet, capped', { type: 'canary', steps: [1, 5, '100%'] }, 3],
    ['a last count step that covers every target', { type: 'canary', steps: [1, 5] }, 5],
    ['a trailing count when the fleet size is not known yet', { type: 'canary', steps: [1, 5] }, undefined],
    ['maxFailures as a percentage', canary({ maxFailures: '10%' }), undefined],
    ['maxFailures of "0%" and "100%"', canary({ maxFailures: '100%' }), undefined],
    ['a pause after every step but the last', canary({ pauseAfterStep: [0, 1, 2] }), undefined],
    ['a rolling strategy with a count', { type: 'rolling', batchSize: 5, pauseAfterStep: [0] }, 20],
    ['a rolling strategy with a percentage', { type: 'rolling', batchSize: '25%' }, undefined],
    ['all-at-once', { type: 'all-at-once', maxParallel: 1000, bakeSeconds: 86400 }, 10],
  ])('accepts %s', (_name, input, targets) => {
    expect(validateStrategy(input, targets)).toEqual([]);
  });

  it.each<[string, unknown, number | undefined, string[]]>([
    ['a non-object', 'canary', undefined, ['strategy']],
    ['an unknown type', { type: 'blue-green' }, undefined, ['strategy.type']],
    ['a negative step', { type: 'canary', steps: [-1, '100%'] }, undefined, ['strategy.steps[0]']],
    ['a zero step', { type: 'canary', steps: [0, '100%'] }, undefined, ['strategy.steps[0]']],
    ['a fractional step', { type: 'canary', steps: [1.5, '100%'] }, undefined, ['strategy.steps[0]']],
    ['a percentage above 100', { type: 'canary', steps: [1, '200%'] }, undefined, ['strategy.steps[1]']],
    ['"0%"', { type: 'canary', steps: ['0%', '100%'] }, undefined, ['strategy.steps[0]']],
    ['a word', { type: 'canary', steps: [1, 'abc', '100%'] }, undefined, ['strategy.steps[1]']],
    ['a count written as a string', { type: 'canary', steps: ['5', '100%'] }, undefined, ['strategy.steps[0]']],
    ['a fractional percentage', { type: 'canary', steps: ['12.5%', '100%'] }, undefined, ['strategy.steps[0]']],
    ['an empty list', { type: 'canary', steps: [] }, undefined, ['strategy.steps']],
    ['missing steps', { type: 'canary' }, undefined, ['strategy.steps']],
    ['decreasing counts', { type: 'canary', steps: [5, 2, '100%'] }, undefined, ['strategy.steps[1]']],
    ['a repeated percentage', { type: 'canary', steps: ['50%', '50%', '100%'] }, undefined, ['strategy.steps[1]']],
    ['a step that resolves below the one before', { type: 'canary', steps: [50, '10%', '100%'] }, 200, ['strategy.steps[1]']],
    ['a last percentage short of 100%', { type: 'canary', steps: [1, '50%'] }, undefined, ['strategy.steps[1]']],
    ['a last count short of the fleet', { type: 'canary', steps: [1, 5] }, 6, ['strategy.steps[1]']],
    ['maxParallel 0', canary({ maxParallel: 0 }), undefined, ['strategy.maxParallel']],
    ['maxParallel 1001', canary({ maxParallel: 1001 }), undefined, ['strategy.maxParallel']],
    ['a negative maxFailures', canary({ maxFailures: -1 }), undefined, ['strategy.maxFailures']],
    ['maxFailures "101%"', canary({ maxFailures: '101%' }), undefined, ['strategy.maxFailures']],
    ['bakeSeconds beyond a day', canary({ bakeSeconds: 86401 }), undefined, ['strategy.bakeSeconds']],
    ['a fractional bakeSeconds', canary({ bakeSeconds: 0.5 }), undefined, ['strategy.bakeSeconds']],
    ['a string autoRollback', canary({ autoRollback: 'yes' }), undefined, ['strategy.autoRollback']],
    ['a pause after a step that does not exist', canary({ pauseAfterStep: [7] }), undefined, ['strategy.pauseAfterStep[0]']],
    ['a pause after the last step', canary({ pauseAfterStep: [3] }), undefined, ['strategy.pauseAfterStep[0]']],
    ['a negative pause index', canary({ pauseAfterStep: [-1] }), undefined, ['strategy.pauseAfterStep[0]']],
    ['a pause in an all-at-once deployment', { type: 'all-at-once', pauseAfterStep: [0] }, undefined, ['strategy.pauseAfterStep[0]']],
    ['a pause after the last rolling batch', { type: 'rolling', batchSize: 5, pauseAfterStep: [1] }, 10, ['strategy.pauseAfterStep[0]']],
    ['a rolling batch of 0', { type: 'rolling', batchSize: 0 }, undefined, ['strategy.batchSize']],
    ['steps on a rolling strategy', { type: 'rolling', batchSize: 1, steps: [1] }, undefined, ['strategy.steps']],
    ['an unknown field', canary({ maxParalel: 5 }), undefined, ['strategy.maxParalel']],
  ])('rejects %s', (_name, input, targets, fields) => {
    expect(validateStrategy(input, targets).map((p) => p.field)).toEqual(fields);
  });

  it('reports every problem at once, each with its field', () => {
    const problems = validateStrategy({
      type: 'canary',
      steps: [-1, 'abc', 1.5, '200%'],
      maxParallel: 0,
      maxFailures: 'x',
      bakeSeconds: -5,
      autoRollback: 1,
      colour: 'blue',
    });
    expect(problems.map((p) => p.field)).toEqual([
      'strategy.colour',
      'strategy.maxParallel',
      'strategy.maxFailures',
      'strategy.bakeSeconds',
      'strategy.autoRollback',
      'strategy.steps[0]',
      'strategy.steps[1]',
      'strategy.steps[2]',
      'strategy.steps[3]',
    ]);
    expect(problems.every((p) => p.message.length > 0)).toBe(true);
  });
});

describe('parseStrategy', () => {
  it('fills in the documented defaults', () => {
    expect(parseStrategy({ type: 'canary', steps: ['100%'] })).toEqual({
      type: 'canary',
      steps: ['100%'],
      maxParallel: 20,
      maxFailures: 0,
      bakeSeconds: 0,
      pauseAfterStep: [],
      autoRollback: true,
    });
    expect(STRATEGY_DEFAULTS.maxParallel).toBe(20);
  });

  it('keeps the values given', () => {
    expect(parseStrategy({ type: 'rolling', batchSize: '10%', autoRollback: false })).toMatchObject({
      batchSize: '10%',
      autoRollback: false,
    });
  });

  it('throws InvalidStrategyError with every problem', () => {
    expect(() => parseStrategy({ type: 'canary', steps: [0] })).toThrow(InvalidStrategyError);
  });
});

describe('resolveStepSize', () => {
  it.each<[string, number | string, number, number]>([
    ['rounds a percentage up', '10%', 3, 1],
    ['takes at least one host', '1%', 10, 1],
    ['is exact on whole results', '29%', 100, 29],
    ['caps a count at the targets', 50, 7, 7],
    ['keeps a count within the targets', 5, 7, 5],
    ['resolves 100% to every target', '100%', 7, 7],
  ])('%s', (_name, size, total, expected) => {
    expect(resolveStepSize(size, total)).toBe(expected);
  });
});
