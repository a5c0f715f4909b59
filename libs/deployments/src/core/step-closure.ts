import type { DeploymentStatus } from './deployment-state';
import type { StepStatus } from './next-action';
import { assertStepTransition } from './step-state';

/** A step's status once it can no longer change. */
export const TERMINAL_STEP_STATUSES: readonly StepStatus[] = ['succeeded', 'failed', 'aborted', 'skipped'];

export function isStepTerminal(status: StepStatus): boolean {
  return TERMINAL_STEP_STATUSES.includes(status);
}

/**
 * The steps a deployment ending in `finalStatus` must close, each with its
 * terminal status, so a finished deployment never shows a step `running`:
 * - a step that started and was not checked (running, baking, checking) is
 *   `aborted`: the deployment stopped it (failure budget, cancel, a job that
 *   failed for good, a rollback);
 * - a step that never started is `skipped`, except in a succeeded deployment,
 *   where it can only be an empty step (nothing new to patch) and is `succeeded`.
 * Checked steps keep their result: it is what their health checks said.
 *
 * Example: a rollback after step 2's second host failed →
 *   [succeeded, running, pending] closes step 1 as aborted, step 2 as skipped.
 */
export function closeSteps(
  steps: readonly { index: number; status: StepStatus }[],
  finalStatus: DeploymentStatus,
): { index: number; status: StepStatus }[] {
  return steps.flatMap((step): { index: number; status: StepStatus }[] => {
    if (isStepTerminal(step.status)) return [];
    const to: StepStatus = step.status !== 'pending' ? 'aborted' : finalStatus === 'succeeded' ? 'succeeded' : 'skipped';
    assertStepTransition(step.status, to);
    return [{ index: step.index, status: to }];
  });
}
