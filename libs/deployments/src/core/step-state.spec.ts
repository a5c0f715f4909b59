import type { StepStatus } from './next-action';
import { assertStepTransition, canStepTransition } from './step-state';
import { InvalidTransitionError } from './invalid-transition.error';

describe('step transitions', () => {
  it.each<{ name: string; from: StepStatus; to: StepStatus; allowed: boolean }>([
    { name: 'a pending step starts running', from: 'pending', to: 'running', allowed: true },
    { name: 'a running step bakes', from: 'running', to: 'baking', allowed: true },
    { name: 'a step with no bake is checked right away', from: 'running', to: 'checking', allowed: true },
    { name: 'a baked step is checked', from: 'baking', to: 'checking', allowed: true },
    { name: 'a checked step succeeds', from: 'checking', to: 'succeeded', allowed: true },
    { name: 'a checked step fails', from: 'checking', to: 'failed', allowed: true },
    { name: 'a resumed check re-enters checking', from: 'checking', to: 'checking', allowed: true },
    { name: 'a step cannot skip running', from: 'pending', to: 'checking', allowed: false },
    { name: 'a finished step never runs again', from: 'succeeded', to: 'running', allowed: false },
    { name: 'a failed step stays failed', from: 'failed', to: 'failed', allowed: false },
    { name: 'a checked step does not go back to baking', from: 'checking', to: 'baking', allowed: false },
  ])('$name', ({ from, to, allowed }) => {
    expect(canStepTransition(from, to)).toBe(allowed);
    if (allowed) expect(() => assertStepTransition(from, to)).not.toThrow();
    else expect(() => assertStepTransition(from, to)).toThrow(InvalidTransitionError);
  });
});
