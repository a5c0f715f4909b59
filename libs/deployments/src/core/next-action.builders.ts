// Builders for nextAction's specs: snapshots as the engine reads them, the clock a constant.
import type { HostStatus } from './host-state';
import type { DeploymentSnapshot, HostSnapshot, StepSnapshot } from './next-action';
import { parseStrategy } from './strategy';

export const NOW = 1_700_000_000_000;

type StrategyInput = Record<string, unknown>;

/** A canary deployment of `hosts`, with one step row per distinct host step. */
export function aDeployment(
  overrides: Partial<Omit<DeploymentSnapshot, 'strategy'>> & { strategy?: StrategyInput } = {},
): DeploymentSnapshot {
  const hosts = overrides.hosts ?? [aHost({ hostId: 'h1' })];
  const stepCount = overrides.steps?.length ?? Math.max(...hosts.map((h) => h.step)) + 1;
  return {
    status: 'running',
    cancelRequested: false,
    ...overrides,
    strategy: parseStrategy({ type: 'canary', steps: ['100%'], ...overrides.strategy }),
    hosts,
    steps: overrides.steps ?? Array.from({ length: stepCount }, (_, index) => aStep({ index })),
  };
}

export function aHost(overrides: Partial<HostSnapshot> = {}): HostSnapshot {
  const status = overrides.status ?? 'pending';
  return {
    hostId: 'h',
    step: 0,
    status,
    rollbackStored: !['pending', 'capturing', 'skipped'].includes(status),
    ...overrides,
  };
}

export function aStep(overrides: Partial<StepSnapshot> = {}): StepSnapshot {
  return { index: 0, status: 'pending', ...overrides };
}

/** Hosts h1..hN in `step`, all with `status`. */
export function hostsIn(step: number, statuses: HostStatus[], firstId = 1): HostSnapshot[] {
  return statuses.map((status, i) =>
    aHost({
      hostId: `h${firstId + i}`,
      step,
      status,
      finishedAt: NOW - 1000 * (statuses.length - i),
    }),
  );
}

export const SPEC_STEPS = { steps: [1, '50%', '100%'] };
