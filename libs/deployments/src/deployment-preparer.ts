import { Injectable } from '@nestjs/common';
import { BadInputError } from '@vulnzero/http';
import { HostsService } from '@vulnzero/inventory';
import { isIrreversible, PatchesService } from '@vulnzero/patches';
import { InvalidStrategyError, irreversibleStrategyProblem, parseStrategy, Strategy } from './core/strategy';
import { planSteps } from './core/canary-plan';
import { checkSchedule, NamedWindowLookup, ResolvedSchedule } from './core/schedule-request';
import type { DeploymentTargets } from './deployment.entity';
import { MaintenanceWindowsService } from './maintenance-windows.service';

export interface CreateDeploymentInput {
  patchId: string;
  targets: DeploymentTargets;
  strategy?: unknown;
  /** `{start, end, timezone}`, `{recurrence, duration, timezone}`, or the name or id of a named window. */
  window?: unknown;
  /** An ISO 8601 instant with its offset: no host starts before it. */
  notBefore?: unknown;
}

const DEFAULT_STRATEGY = { type: 'canary', steps: [1, '10%', '50%', '100%'] };

/** A deployment request checked against the patch, the inventory and the named windows, before anything is recorded (400s). */
@Injectable()
export class DeploymentPreparer {
  constructor(
    private readonly hosts: HostsService,
    private readonly patches: PatchesService,
    private readonly windows: MaintenanceWindowsService,
  ) {}

  /**
   * Everything a deployment checks before it records anything: the patch is
   * approved, the targets resolve to at least one host, the strategy fits
   * them. A dry run and a real deployment share it, so they refuse alike.
   */
  async prepare(input: CreateDeploymentInput) {
    const schedule = await this.resolveSchedule(input);
    const patch = await this.patches.getApproved(input.patchId);
    const irreversible = irreversibleStrategyProblem(isIrreversible(patch.definition), input.strategy);
    if (irreversible) throw new BadInputError([irreversible], { field: 'strategy.autoRollback' });
    const targets = await this.hosts.resolveTargets(input.targets);
    if (targets.length === 0) {
      throw new BadInputError(['targets: match no host'], { field: 'targets' });
    }
    let strategy: Strategy;
    try {
      strategy = parseStrategy(input.strategy ?? DEFAULT_STRATEGY, targets.length);
    } catch (error) {
      if (error instanceof InvalidStrategyError) {
        throw new BadInputError(
          error.problems.map((p) => `${p.field.startsWith('strategy') ? p.field : `strategy.${p.field}`}: ${p.message}`),
        );
      }
      throw error;
    }
    const plan = planSteps(
      targets.map((h) => h.id),
      strategy,
    );
    return { patch, targets, strategy, plan, schedule };
  }

  /** `window` and `notBefore`, checked (see `checkSchedule`): every problem named by its field, 400. */
  private async resolveSchedule(input: CreateDeploymentInput): Promise<ResolvedSchedule> {
    let named: NamedWindowLookup | undefined;
    if (typeof input.window === 'string') {
      try {
        const row = await this.windows.resolve(input.window);
        named = { id: row.id, window: row };
      } catch (error) {
        if (!(error instanceof BadInputError)) throw error;
        named = { problems: (error.details.errors as string[] | undefined) ?? [error.message] };
      }
    }
    const { problems, schedule } = checkSchedule(input, named, Date.now());
    if (problems.length > 0) throw new BadInputError(problems, { field: problems[0].split(':')[0] });
    return schedule;
  }
}
