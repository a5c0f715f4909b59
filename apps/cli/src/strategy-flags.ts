// `vulnzero deploy` strategy flags → the strategy object of POST /deployments
// (docs/api.md#strategies). Checked with the gateway's own rules before any request, and
// each problem is reported under the flag the user typed.
import { validateStrategy } from '../../../libs/deployments/src/core/strategy';
import { UsageError } from './cli-errors';
import { parseIndices, parsePositiveInteger, parseSize, parseSteps, parseWholeSeconds } from './flag-values';

export interface StrategyFlags {
  strategy?: string;
  steps?: string;
  'batch-size'?: string;
  'max-parallel'?: string;
  'max-failures'?: string;
  bake?: string;
  'pause-after'?: string;
  'no-auto-rollback'?: boolean;
}

export const DEFAULT_CANARY_STEPS: (number | string)[] = [1, '10%', '50%', '100%'];

const STRATEGY_TYPES = ['canary', 'rolling', 'all-at-once'];

const FLAG_OF_FIELD: Record<string, string> = {
  type: '--strategy',
  steps: '--steps',
  batchSize: '--batch-size',
  maxParallel: '--max-parallel',
  maxFailures: '--max-failures',
  bakeSeconds: '--bake',
  pauseAfterStep: '--pause-after',
  autoRollback: '--no-auto-rollback',
};

/** `strategy.steps[2]` → `--steps (item 3)`. */
export function flagForStrategyField(field: string): string {
  const match = /^strategy\.([A-Za-z]+)(?:\[(\d+)\])?/.exec(field);
  if (!match) return field;
  const flag = FLAG_OF_FIELD[match[1] as string] ?? field;
  return match[2] !== undefined ? `${flag} (item ${Number(match[2]) + 1})` : flag;
}

/**
 * The strategy to send, or undefined when no strategy flag was given (the
 * gateway's default: a canary over 1, 10%, 50%, 100%). The type defaults to
 * canary, or rolling when only --batch-size says so.
 */
export function buildStrategy(flags: StrategyFlags): Record<string, unknown> | undefined {
  const given = Object.entries(flags).filter(([, value]) => value !== undefined && value !== false);
  if (given.length === 0) return undefined;

  const type = flags.strategy ?? (flags['batch-size'] !== undefined ? 'rolling' : 'canary');
  if (!STRATEGY_TYPES.includes(type)) {
    throw new UsageError(`--strategy: ${JSON.stringify(type)} must be one of ${STRATEGY_TYPES.join(', ')}`);
  }
  if (flags.steps !== undefined && type !== 'canary') {
    throw new UsageError(`--steps applies to --strategy canary only (this is ${type}); a rolling deployment takes --batch-size`);
  }
  if (flags['batch-size'] !== undefined && type !== 'rolling') {
    throw new UsageError(`--batch-size applies to --strategy rolling only (this is ${type})`);
  }
  if (type === 'rolling' && flags['batch-size'] === undefined) {
    throw new UsageError('--strategy rolling needs --batch-size N or N% (hosts added per step)');
  }

  const strategy: Record<string, unknown> = { type };
  if (type === 'canary') strategy.steps = flags.steps !== undefined ? parseSteps('--steps', flags.steps) : DEFAULT_CANARY_STEPS;
  if (flags['batch-size'] !== undefined) strategy.batchSize = parseSize('--batch-size', flags['batch-size']);
  if (flags['max-parallel'] !== undefined) strategy.maxParallel = parsePositiveInteger('--max-parallel', flags['max-parallel']);
  if (flags['max-failures'] !== undefined) {
    strategy.maxFailures = parseSize('--max-failures', flags['max-failures'], { allowZero: true });
  }
  if (flags.bake !== undefined) strategy.bakeSeconds = parseWholeSeconds('--bake', flags.bake);
  if (flags['pause-after'] !== undefined) strategy.pauseAfterStep = parseIndices('--pause-after', flags['pause-after']);
  if (flags['no-auto-rollback']) strategy.autoRollback = false;

  const problems = validateStrategy(strategy);
  if (problems.length > 0) {
    throw new UsageError(
      'the deployment strategy is not valid',
      problems.map((p) => `${flagForStrategyField(p.field)}: ${p.message}`),
    );
  }
  return strategy;
}
