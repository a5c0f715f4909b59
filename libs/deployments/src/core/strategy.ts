/**
 * A step or batch size: a host count (JSON number) or a percentage of the
 * targets (`"10%"`, whole percent from 1 to 100).
 */
export type StepSize = number | string;

export interface CommonStrategy {
  /** Hosts in flight at once. Default 20. */
  maxParallel: number;
  /** Failures to tolerate: a count, or a percentage of the targets. Default 0. */
  maxFailures: number | string;
  /** Wait after each step before the health checks. Default 0. */
  bakeSeconds: number;
  /** Step indices after which the deployment waits for `promote`. Default []. */
  pauseAfterStep: number[];
  /** Roll back every changed host when failures exceed the budget. Default true. */
  autoRollback: boolean;
}

export interface CanaryStrategy extends CommonStrategy {
  type: 'canary';
  /** Cumulative sizes: after step k, that many hosts are patched. */
  steps: StepSize[];
}

export interface RollingStrategy extends CommonStrategy {
  type: 'rolling';
  /** Hosts added per step (the last step takes the remainder). */
  batchSize: StepSize;
}

export interface AllAtOnceStrategy extends CommonStrategy {
  type: 'all-at-once';
}

export type Strategy = CanaryStrategy | RollingStrategy | AllAtOnceStrategy;
export type StrategyType = Strategy['type'];

export const STRATEGY_DEFAULTS: Readonly<CommonStrategy> = Object.freeze({
  maxParallel: 20,
  maxFailures: 0,
  bakeSeconds: 0,
  pauseAfterStep: [],
  autoRollback: true,
});

export const MAX_PARALLEL_LIMIT = 1000;
export const MAX_BAKE_SECONDS = 86_400;

export interface StrategyProblem {
  field: string;
  message: string;
}

/** Raised by `parseStrategy`; carries every problem so the 400 lists them all. */
export class InvalidStrategyError extends Error {
  constructor(readonly problems: StrategyProblem[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '));
    this.name = new.target.name;
  }
}

const COMMON_FIELDS = ['type', 'maxParallel', 'maxFailures', 'bakeSeconds', 'pauseAfterStep', 'autoRollback'];
const FIELDS_BY_TYPE: Record<StrategyType, string[]> = {
  canary: [...COMMON_FIELDS, 'steps'],
  rolling: [...COMMON_FIELDS, 'batchSize'],
  'all-at-once': COMMON_FIELDS,
};

const PERCENT = /^(\d{1,3})%$/;

/** The whole percent of `"N%"`, or null when the value is not a percentage string. */
export function parsePercent(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const match = PERCENT.exec(value);
  return match ? Number(match[1]) : null;
}

/**
 * Hosts covered by a cumulative size: percentages round UP so that "10%" of 3
 * hosts still patches one; at least 1 so that no step is empty by design;
 * capped at the target count.
 */
export function resolveStepSize(size: StepSize, total: number): number {
  const percent = parsePercent(size);
  // Integer arithmetic: total*percent is exact, and ceil of an exact quotient
  // by 100 is exact too, so "29%" of 100 is 29, never 30.
  const count = percent === null ? (size as number) : Math.ceil((total * percent) / 100);
  return Math.min(total, Math.max(1, count));
}

/**
 * Every problem with a strategy, each named by its path (`strategy.steps[2]`).
 *
 * With `targetCount` (the targets are resolved) it also checks what depends on
 * the fleet size. Rules:
 * - canary steps are strictly increasing as written (counts among counts,
 *   percentages among percentages); once resolved against the targets they may
 *   repeat (rounding on small fleets: 3 hosts × [1, "10%"] is 1, 1) but never
 *   decrease (`[50, "10%"]` on 200 hosts would un-patch);
 * - the last step must cover every target (`"100%"`, or a count ≥ the targets):
 *   nothing is patched implicitly. Without `targetCount` a trailing count is
 *   accepted here and `planSteps` refuses it if it falls short;
 * - `pauseAfterStep` names a step that has a step after it: a gate after the
 *   last step gates nothing.
 */
export function validateStrategy(input: unknown, targetCount?: number): StrategyProblem[] {
  const problems: StrategyProblem[] = [];
  const report = (field: string, message: string) => problems.push({ field: `strategy${field}`, message });

  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    report('', 'must be an object');
    return problems;
  }
  const s = input as Record<string, unknown>;
  const type = s.type;
  if (type !== 'canary' && type !== 'rolling' && type !== 'all-at-once') {
    report('.type', 'must be one of canary, rolling, all-at-once');
    return problems;
  }

  for (const key of Object.keys(s)) {
    if (!FIELDS_BY_TYPE[type].includes(key)) report(`.${key}`, `is not a field of a ${type} strategy`);
  }

  if (s.maxParallel !== undefined && !isIntegerIn(s.maxParallel, 1, MAX_PARALLEL_LIMIT)) {
    report('.maxParallel', `must be an integer from 1 to ${MAX_PARALLEL_LIMIT}`);
  }
  if (s.maxFailures !== undefined && !isFailureLimit(s.maxFailures)) {
    report('.maxFailures', 'must be an integer ≥ 0 or a percentage from "0%" to "100%"');
  }
  if (s.bakeSeconds !== undefined && !isIntegerIn(s.bakeSeconds, 0, MAX_BAKE_SECONDS)) {
    report('.bakeSeconds', `must be an integer from 0 to ${MAX_BAKE_SECONDS}`);
  }
  if (s.autoRollback !== undefined && typeof s.autoRollback !== 'boolean') {
    report('.autoRollback', 'must be true or false');
  }

  // The number of steps bounds the pause gates; unknown when steps are invalid
  // or a rolling fleet size is not known yet.
  let stepCount: number | undefined;
  if (type === 'canary') {
    stepCount = validateSteps(s.steps, targetCount, report);
  } else if (type === 'rolling') {
    if (!isStepSize(s.batchSize)) {
      report('.batchSize', 'must be a positive integer or a percentage from "1%" to "100%"');
    } else if (targetCount !== undefined && targetCount > 0) {
      stepCount = Math.ceil(targetCount / resolveStepSize(s.batchSize, targetCount));
    }
  } else {
    stepCount = 1;
  }

  validatePauseAfterStep(s.pauseAfterStep, stepCount, report);
  return problems;
}

/** Validates and fills in the documented defaults; throws `InvalidStrategyError`. */
export function parseStrategy(input: unknown, targetCount?: number): Strategy {
  const problems = validateStrategy(input, targetCount);
  if (problems.length > 0) throw new InvalidStrategyError(problems);
  const s = input as Partial<Strategy>;
  return {
    ...STRATEGY_DEFAULTS,
    ...s,
    pauseAfterStep: [...(s.pauseAfterStep ?? STRATEGY_DEFAULTS.pauseAfterStep)],
  } as Strategy;
}

function validateSteps(
  steps: unknown,
  targetCount: number | undefined,
  report: (field: string, message: string) => void,
): number | undefined {
  if (!Array.isArray(steps) || steps.length === 0) {
    report('.steps', 'must be a non-empty list of counts or percentages, ending with "100%"');
    return undefined;
  }
  let valid = true;
  let lastCount: number | undefined;
  let lastPercent: number | undefined;
  steps.forEach((step: unknown, i) => {
    if (!isStepSize(step)) {
      valid = false;
      report(`.steps[${i}]`, 'must be a positive integer or a percentage from "1%" to "100%"');
      return;
    }
    const percent = parsePercent(step);
    if (percent === null) {
      if (lastCount !== undefined && (step as number) <= lastCount) {
        valid = false;
        report(`.steps[${i}]`, `must be greater than the previous count ${lastCount}: steps are cumulative`);
      }
      lastCount = step as number;
    } else {
      if (lastPercent !== undefined && percent <= lastPercent) {
        valid = false;
        report(`.steps[${i}]`, `must be greater than the previous "${lastPercent}%": steps are cumulative`);
      }
      lastPercent = percent;
    }
  });
  if (!valid) return undefined;

  const last = steps.length - 1;
  if (targetCount === undefined || targetCount === 0) {
    if (parsePercent(steps[last]) !== null && parsePercent(steps[last]) !== 100) {
      report(`.steps[${last}]`, 'the last step must cover every target ("100%")');
    }
    return steps.length;
  }

  const resolved = (steps as StepSize[]).map((step) => resolveStepSize(step, targetCount));
  resolved.forEach((count, i) => {
    if (i > 0 && count < resolved[i - 1]) {
      report(
        `.steps[${i}]`,
        `is ${count} of ${targetCount} targets, fewer than the ${resolved[i - 1]} of the step before: steps are cumulative`,
      );
    }
  });
  if (resolved[last] < targetCount) {
    report(`.steps[${last}]`, `the last step must cover every target: it patches ${resolved[last]} of ${targetCount} (end with "100%")`);
  }
  return steps.length;
}

function validatePauseAfterStep(value: unknown, stepCount: number | undefined, report: (field: string, message: string) => void): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) {
    report('.pauseAfterStep', 'must be a list of step indices');
    return;
  }
  value.forEach((index: unknown, i) => {
    if (!isIntegerIn(index, 0, Number.MAX_SAFE_INTEGER)) {
      report(`.pauseAfterStep[${i}]`, 'must be a step index (an integer ≥ 0)');
    } else if (stepCount !== undefined && (index as number) >= stepCount - 1) {
      report(
        `.pauseAfterStep[${i}]`,
        stepCount === 1
          ? 'there is only one step, so there is nothing to pause before'
          : `must be below ${stepCount - 1}: step ${stepCount - 1} is the last, and a pause after it would gate nothing`,
      );
    }
  });
}

function isIntegerIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function isStepSize(value: unknown): value is StepSize {
  const percent = parsePercent(value);
  if (percent !== null) return percent >= 1 && percent <= 100;
  return isIntegerIn(value, 1, Number.MAX_SAFE_INTEGER);
}

function isFailureLimit(value: unknown): boolean {
  const percent = parsePercent(value);
  if (percent !== null) return percent <= 100;
  return isIntegerIn(value, 0, Number.MAX_SAFE_INTEGER);
}

/**
 * An irreversible patch has no way back, so a deployment of it must say so
 * itself: `autoRollback` defaults to true, and a default would promise a
 * rollback that cannot happen. Null when the request may go on.
 */
export function irreversibleStrategyProblem(irreversible: boolean, requested: unknown): string | null {
  if (!irreversible) return null;
  const autoRollback =
    requested !== null && typeof requested === 'object' ? (requested as Record<string, unknown>).autoRollback : undefined;
  if (autoRollback === false) return null;
  return 'strategy.autoRollback: the patch is irreversible (it has no rollback commands), so it can only be deployed with "autoRollback": false given explicitly (the default is true)';
}
