import { InvalidStrategyError, parsePercent, resolveStepSize, validateStrategy } from './strategy';
import type { Strategy } from './strategy';

export interface PlannedStep {
  /** Position in the plan; the index `pauseAfterStep` refers to. */
  index: number;
  /** Hosts patched once this step is done (all steps so far). */
  cumulative: number;
  /** Hosts this step adds, in target order. May be empty (see `planSteps`). */
  hostIds: string[];
}

/** Raised when the targets themselves cannot be planned (duplicates). */
export class InvalidTargetsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * Which hosts go in which step: a pure function of the targets (in order) and
 * the strategy, so a restarted worker plans exactly what the first one did.
 *
 * A step whose cumulative size rounds to the previous one's (3 hosts with
 * [1, "10%", "50%", "100%"] → 1, 1, 2, 3) is KEPT as an empty step rather than
 * dropped: `pauseAfterStep` indices then keep meaning the steps the user wrote,
 * whatever the fleet size. The engine passes an empty step without baking or
 * checking (nothing new was patched) but still honours its pause gate.
 *
 * The strategy is re-validated against the real target count, so a plan never
 * leaves a target out or steps backwards.
 */
export function planSteps(hostIds: readonly string[], strategy: Strategy): PlannedStep[] {
  if (new Set(hostIds).size !== hostIds.length) {
    throw new InvalidTargetsError('a host appears twice in the targets');
  }
  const total = hostIds.length;
  if (total === 0) return [];
  const problems = validateStrategy(strategy, total);
  if (problems.length > 0) throw new InvalidStrategyError(problems);

  const cumulatives = cumulativeSizes(strategy, total);
  return cumulatives.map((cumulative, index) => ({
    index,
    cumulative,
    hostIds: hostIds.slice(index === 0 ? 0 : cumulatives[index - 1], cumulative),
  }));
}

function cumulativeSizes(strategy: Strategy, total: number): number[] {
  switch (strategy.type) {
    case 'canary':
      return strategy.steps.map((step) => resolveStepSize(step, total));
    case 'rolling': {
      const batch = resolveStepSize(strategy.batchSize, total);
      const count = Math.ceil(total / batch);
      return Array.from({ length: count }, (_, i) => Math.min(total, (i + 1) * batch));
    }
    case 'all-at-once':
      return [total];
  }
}

/**
 * Failures the deployment tolerates; docs/api.md#deployments: the budget must be EXCEEDED to
 * abort. A percentage rounds DOWN so the tolerance never exceeds what was
 * written: "10%" of 7 hosts is 0 (the first failure aborts), never 1 (14%).
 * "100%" of the targets can never be exceeded: the deployment never aborts.
 */
export function failureBudget(maxFailures: number | string, total: number): number {
  const percent = parsePercent(maxFailures);
  if (percent === null) return maxFailures as number;
  return Math.floor((total * percent) / 100);
}

export function shouldAbort(failedCount: number, budget: number): boolean {
  return failedCount > budget;
}
