import type { StepStatus } from './next-action';
import { InvalidTransitionError } from './invalid-transition.error';

/**
 * Every allowed status change of a deployment step (docs/api.md#deployments): its hosts run,
 * it bakes, its hosts are checked again, and it ends. A status may be written
 * over itself (a resumed run re-enters the phase it was in), and an end can
 * close a step in any phase (the deployment aborted or was cancelled there).
 */
const TRANSITIONS: Readonly<Record<StepStatus, readonly StepStatus[]>> = {
  // skipped: the deployment ended before the step started; succeeded: an empty step of a finished deployment.
  pending: ['running', 'failed', 'skipped', 'succeeded'],
  // aborted: the deployment ended (rolled back, cancelled, given up) while the step was under way.
  running: ['baking', 'checking', 'succeeded', 'failed', 'aborted'],
  baking: ['checking', 'succeeded', 'failed', 'aborted'],
  checking: ['succeeded', 'failed', 'aborted'],
  succeeded: [],
  failed: [],
  aborted: [],
  skipped: [],
};

export function canStepTransition(from: StepStatus, to: StepStatus): boolean {
  return from === to ? TRANSITIONS[from].length > 0 : TRANSITIONS[from].includes(to);
}

export function assertStepTransition(from: StepStatus, to: StepStatus): void {
  if (!canStepTransition(from, to)) throw new InvalidTransitionError('step', from, to);
}
