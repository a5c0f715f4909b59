import type { PlannedStep } from './canary-plan';
import type { Strategy } from './strategy';

/** Why a target would not be patched if the deployment ran now. */
export type ExclusionReason = 'claimed' | 'host_key_not_pinned' | 'unreachable';

export interface PlanTarget {
  id: string;
  name: string;
  address: string;
  port: number;
  hostKeyPinned: boolean;
}

export interface PlanExclusion {
  hostId: string;
  hostName: string;
  reason: ExclusionReason;
  detail: string;
  /** For `claimed`: the running deployment that holds the host. */
  deploymentId?: string;
}

/** The parts of a patch a plan shows; only the templates (nothing is captured yet). */
export interface PlanPatch {
  id: string;
  name: string;
  capture: Record<string, string>;
  apply: string[];
  rollback: string[];
  verify: string | null;
  healthChecks: unknown[];
  timeoutSeconds: number;
}

export interface PlanFacts {
  patch: PlanPatch;
  /** In the order the deployment would take them (the plan's order). */
  targets: PlanTarget[];
  strategy: Strategy;
  steps: PlannedStep[];
  /** Host id → the running deployment that claims it. */
  claims: ReadonlyMap<string, string>;
  /** Host id → why the connection or authentication failed; absent when reachability was not checked. */
  unreachable?: ReadonlyMap<string, string>;
  reachabilityChecked: boolean;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** The capture names a rollback template refers to, in order of first use. */
export function placeholdersOf(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]))];
}

/**
 * Why each target would not be patched now. One reason per host, the most
 * blocking first: a claimed host refuses the whole deployment (409), an
 * unpinned host is refused a connection, an unreachable one fails to connect.
 */
export function planExclusions(facts: Pick<PlanFacts, 'targets' | 'claims' | 'unreachable'>): PlanExclusion[] {
  const excluded: PlanExclusion[] = [];
  for (const host of facts.targets) {
    const holder = facts.claims.get(host.id);
    if (holder) {
      excluded.push({
        hostId: host.id,
        hostName: host.name,
        reason: 'claimed',
        detail: `in running deployment ${holder}: a deployment now would be refused with 409`,
        deploymentId: holder,
      });
    } else if (!host.hostKeyPinned) {
      excluded.push({
        hostId: host.id,
        hostName: host.name,
        reason: 'host_key_not_pinned',
        detail: `host key not pinned: trust it (POST /hosts/${host.id}/host-key/trust) first, or the host fails at connect`,
      });
    } else if (facts.unreachable?.has(host.id)) {
      excluded.push({
        hostId: host.id,
        hostName: host.name,
        reason: 'unreachable',
        detail: facts.unreachable.get(host.id) as string,
      });
    }
  }
  return excluded;
}

/** Batches of at most `maxParallel` hosts a step runs (an empty step runs none). */
export function batchesOf(hostCount: number, maxParallel: number): number {
  return Math.ceil(hostCount / Math.max(1, maxParallel));
}

/**
 * What `POST /deployments` with `dryRun` answers. The steps are exactly the
 * ones the real deployment would record (`planSteps` over every resolved
 * target): the engine never drops a target, so an excluded host stays in its
 * step and is listed in `excluded` with the reason it would fail or block.
 */
export function buildPlanView(facts: PlanFacts) {
  const byId = new Map(facts.targets.map((h) => [h.id, h]));
  const excluded = planExclusions(facts);
  const excludedIds = new Set(excluded.map((e) => e.hostId));
  const { maxParallel } = facts.strategy;
  const steps = facts.steps.map((step) => ({
    index: step.index,
    cumulative: step.cumulative,
    hostIds: step.hostIds,
    hosts: step.hostIds.map((id) => ({ hostId: id, hostName: byId.get(id)?.name ?? id, excluded: excludedIds.has(id) })),
    batches: batchesOf(step.hostIds.length, maxParallel),
    pauseAfter: facts.strategy.pauseAfterStep.includes(step.index),
  }));
  const blocked = excluded.some((e) => e.reason === 'claimed');
  return {
    dryRun: true as const,
    patch: { id: facts.patch.id, name: facts.patch.name },
    strategy: facts.strategy,
    targets: facts.targets.map((h) => ({ hostId: h.id, hostName: h.name, address: h.address, port: h.port })),
    steps,
    excluded,
    reachabilityChecked: facts.reachabilityChecked,
    /** False when a real deployment now would be refused (a target is claimed). */
    startable: !blocked,
    estimatedBatches: steps.reduce((sum, s) => sum + s.batches, 0),
    commands: {
      capture: Object.entries(facts.patch.capture).map(([name, command]) => ({ name, command })),
      apply: facts.patch.apply,
      rollback: facts.patch.rollback.map((template) => ({ template, placeholders: placeholdersOf(template) })),
      verify: facts.patch.verify,
      healthChecks: facts.patch.healthChecks,
      timeoutSeconds: facts.patch.timeoutSeconds,
    },
  };
}

export type DeploymentPlanView = ReturnType<typeof buildPlanView>;
