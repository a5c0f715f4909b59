import { failureBudget, InvalidTargetsError, planSteps, shouldAbort } from './canary-plan';
import { InvalidStrategyError, parseStrategy } from './strategy';
import type { StepSize } from './strategy';

const hosts = (n: number) => Array.from({ length: n }, (_, i) => `h${i + 1}`);
const canary = (steps: StepSize[], extra: Record<string, unknown> = {}) => parseStrategy({ type: 'canary', steps, ...extra });

describe('planSteps', () => {
  it.each<[string, number, StepSize[], number[]]>([
    ['1 host with the SPEC steps patches it in the first step', 1, [1, '10%', '50%', '100%'], [1, 1, 1, 1]],
    ['3 hosts: 10% rounds up to 1, the same as step 0', 3, [1, '10%', '50%', '100%'], [1, 1, 2, 3]],
    ['7 hosts round every percentage up', 7, [1, '10%', '50%', '100%'], [1, 1, 4, 7]],
    ['200 hosts follow the SPEC example', 200, [1, '10%', '50%', '100%'], [1, 20, 100, 200]],
    ['a percentage that is not whole rounds up', 201, ['10%', '100%'], [21, 201]],
    ['a single "100%" step takes every host', 5, ['100%'], [5]],
    ['counts are taken as written', 10, [2, 5, 10], [2, 5, 10]],
    ['a count beyond the fleet is capped', 3, [1, 5, '100%'], [1, 3, 3]],
  ])('%s', (_name, n, steps, cumulative) => {
    expect(planSteps(hosts(n), canary(steps)).map((s) => s.cumulative)).toEqual(cumulative);
  });

  it('gives each step the hosts it adds, in target order', () => {
    expect(planSteps(hosts(7), canary([1, '10%', '50%', '100%']))).toEqual([
      { index: 0, cumulative: 1, hostIds: ['h1'] },
      { index: 1, cumulative: 1, hostIds: [] },
      { index: 2, cumulative: 4, hostIds: ['h2', 'h3', 'h4'] },
      { index: 3, cumulative: 7, hostIds: ['h5', 'h6', 'h7'] },
    ]);
  });

  it('keeps an empty step so that pauseAfterStep still names the step the user wrote', () => {
    const plan = planSteps(hosts(3), canary([1, '10%', '50%', '100%'], { pauseAfterStep: [1] }));
    expect(plan.map((s) => s.hostIds.length)).toEqual([1, 0, 1, 1]);
  });

  it.each<[string, number, StepSize, number[]]>([
    ['a rolling count leaves the remainder to the last batch', 10, 4, [4, 8, 10]],
    ['a rolling percentage rounds the batch up', 10, '25%', [3, 6, 9, 10]],
    ['a rolling batch larger than the fleet is one step', 3, 10, [3]],
  ])('%s', (_name, n, batchSize, cumulative) => {
    const strategy = parseStrategy({ type: 'rolling', batchSize });
    expect(planSteps(hosts(n), strategy).map((s) => s.cumulative)).toEqual(cumulative);
  });

  it('puts every host in the one step of an all-at-once deployment', () => {
    expect(planSteps(hosts(4), parseStrategy({ type: 'all-at-once' }))).toEqual([
      { index: 0, cumulative: 4, hostIds: ['h1', 'h2', 'h3', 'h4'] },
    ]);
  });

  it('plans nothing for no targets', () => {
    expect(planSteps([], canary(['100%']))).toEqual([]);
  });

  it('refuses a plan whose last step leaves targets out', () => {
    expect(() => planSteps(hosts(6), canary([1, 5]))).toThrow(InvalidStrategyError);
  });

  it('refuses a host listed twice', () => {
    expect(() => planSteps(['a', 'b', 'a'], canary(['100%']))).toThrow(InvalidTargetsError);
  });
});

describe('failureBudget', () => {
  it.each<[string, number | string, number, number]>([
    ['a count is taken as written', 2, 200, 2],
    ['0 tolerates no failure', 0, 200, 0],
    ['a percentage of the targets', '10%', 200, 20],
    ['a percentage rounds down so the tolerance never exceeds it', '10%', 7, 0],
    ['"50%" of 3 hosts tolerates 1', '50%', 3, 1],
    ['"100%" tolerates every host', '100%', 7, 7],
  ])('%s', (_name, maxFailures, total, expected) => {
    expect(failureBudget(maxFailures, total)).toBe(expected);
  });
});

describe('shouldAbort', () => {
  it.each([
    ['does not abort at the budget', 2, 2, false],
    ['aborts when the budget is exceeded', 3, 2, true],
    ['aborts on the first failure with a budget of 0', 1, 0, true],
    ['does not abort without failures', 0, 0, false],
  ])('%s', (_name, failed, budget, expected) => {
    expect(shouldAbort(failed, budget)).toBe(expected);
  });
});
