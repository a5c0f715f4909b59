import { UsageError } from './cli-errors';
import { buildStrategy, DEFAULT_CANARY_STEPS, flagForStrategyField, StrategyFlags } from './strategy-flags';

describe('buildStrategy', () => {
  it('sends no strategy when no strategy flag is given, so the gateway default applies', () => expect(buildStrategy({})).toBeUndefined());

  it.each<[string, StrategyFlags, Record<string, unknown>]>([
    [
      'a canary from its flags',
      { steps: '1,10%,100%', 'max-parallel': '5', 'max-failures': '10%', bake: '30s', 'pause-after': '0', 'no-auto-rollback': true },
      {
        type: 'canary',
        steps: [1, '10%', '100%'],
        maxParallel: 5,
        maxFailures: '10%',
        bakeSeconds: 30,
        pauseAfterStep: [0],
        autoRollback: false,
      },
    ],
    [
      'a canary with the default steps when only --bake is given',
      { bake: '5s' },
      { type: 'canary', steps: DEFAULT_CANARY_STEPS, bakeSeconds: 5 },
    ],
    ['a rolling deployment from --batch-size alone', { 'batch-size': '25%' }, { type: 'rolling', batchSize: '25%' }],
    ['all-at-once', { strategy: 'all-at-once', 'max-failures': '2' }, { type: 'all-at-once', maxFailures: 2 }],
  ])('builds %s', (_name, flags, expected) => expect(buildStrategy(flags)).toEqual(expected));

  it.each<[string, StrategyFlags, RegExp]>([
    ['an unknown type', { strategy: 'blue-green' }, /--strategy: "blue-green" must be one of/],
    [
      '--steps on a rolling deployment',
      { strategy: 'rolling', steps: '1,100%', 'batch-size': '2' },
      /--steps applies to --strategy canary only/,
    ],
    ['--batch-size on a canary', { strategy: 'canary', 'batch-size': '2' }, /--batch-size applies to --strategy rolling only/],
    ['a rolling deployment without --batch-size', { strategy: 'rolling' }, /needs --batch-size/],
    ['a bad bake', { bake: 'long' }, /--bake/],
  ])('refuses %s', (_name, flags, message) => {
    expect(() => buildStrategy(flags)).toThrow(UsageError);
    expect(() => buildStrategy(flags)).toThrow(message);
  });

  it('reports the gateway rules under the flag the user typed', () => {
    let error: UsageError | undefined;
    try {
      buildStrategy({ steps: '5,2,50%' });
    } catch (e) {
      error = e as UsageError;
    }
    expect(error?.details).toEqual(
      expect.arrayContaining([expect.stringMatching(/^--steps \(item 2\): must be greater than the previous count 5/)]),
    );
  });

  it('refuses canary steps that do not end with 100%', () => {
    expect(() => buildStrategy({ steps: '1,50%' })).toThrow(
      expect.objectContaining({ details: ['--steps (item 2): the last step must cover every target ("100%")'] }),
    );
  });

  it('refuses a pause after the last step', () =>
    expect(() => buildStrategy({ strategy: 'all-at-once', 'pause-after': '0' })).toThrow(UsageError));

  it.each([
    ['strategy.steps[0]', '--steps (item 1)'],
    ['strategy.bakeSeconds', '--bake'],
    ['strategy.pauseAfterStep[1]', '--pause-after (item 2)'],
    ['strategy.surprise', 'strategy.surprise'],
  ])('names %s as %s', (field, flag) => expect(flagForStrategyField(field)).toBe(flag));
});
