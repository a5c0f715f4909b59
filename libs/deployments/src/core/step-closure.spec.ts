import type { DeploymentStatus } from './deployment-state';
import type { StepStatus } from './next-action';
import { closeSteps, isStepTerminal } from './step-closure';

describe('closeSteps', () => {
  const steps = (...statuses: StepStatus[]) => statuses.map((status, index) => ({ index, status }));

  it.each<{ name: string; steps: StepStatus[]; final: DeploymentStatus; expected: ReturnType<typeof closeSteps> }>([
    {
      name: 'aborts the step a rollback interrupted and skips the ones after it',
      steps: ['succeeded', 'running', 'pending'],
      final: 'rolled_back',
      expected: [
        { index: 1, status: 'aborted' },
        { index: 2, status: 'skipped' },
      ],
    },
    {
      name: 'aborts a step that was baking or checking when the deployment was cancelled',
      steps: ['baking', 'checking'],
      final: 'cancelled',
      expected: [
        { index: 0, status: 'aborted' },
        { index: 1, status: 'aborted' },
      ],
    },
    {
      name: 'closes an empty step of a succeeded deployment as succeeded',
      steps: ['succeeded', 'pending', 'succeeded'],
      final: 'succeeded',
      expected: [{ index: 1, status: 'succeeded' }],
    },
    {
      name: 'skips every step of a deployment that failed before it started',
      steps: ['pending', 'pending'],
      final: 'failed',
      expected: [
        { index: 0, status: 'skipped' },
        { index: 1, status: 'skipped' },
      ],
    },
    {
      name: 'keeps the result of every checked step',
      steps: ['succeeded', 'failed', 'aborted', 'skipped'],
      final: 'rollback_failed',
      expected: [],
    },
  ])('$name', ({ steps: statuses, final, expected }) => {
    expect(closeSteps(steps(...statuses), final)).toEqual(expected);
  });

  it('leaves no step open, whatever the final status', () => {
    const open: StepStatus[] = ['pending', 'running', 'baking', 'checking'];
    for (const final of ['succeeded', 'failed', 'cancelled', 'rolled_back', 'rollback_failed'] as DeploymentStatus[]) {
      const closed = closeSteps(steps(...open), final);
      expect(closed.map((s) => s.index)).toEqual([0, 1, 2, 3]);
      expect(closed.every((s) => isStepTerminal(s.status))).toBe(true);
    }
  });
});
