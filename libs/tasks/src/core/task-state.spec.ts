import { canTransitionTask, isTerminalTask, TaskStatus } from './task-state';

describe('task state machine', () => {
  it.each<[TaskStatus, TaskStatus, boolean]>([
    ['queued', 'running', true],
    ['running', 'paused', true],
    ['paused', 'running', true],
    ['running', 'succeeded', true],
    ['running', 'queued', true],
    ['succeeded', 'running', false],
    ['failed', 'queued', false],
    ['cancelled', 'running', false],
    ['queued', 'succeeded', false],
  ])('%s → %s allowed: %s', (from, to, allowed) => {
    expect(canTransitionTask(from, to)).toBe(allowed);
  });

  it('treats succeeded, failed and cancelled as terminal and nothing else', () => {
    expect(['queued', 'running', 'paused', 'succeeded', 'failed', 'cancelled'].filter((s) => isTerminalTask(s as TaskStatus))).toEqual([
      'succeeded',
      'failed',
      'cancelled',
    ]);
  });
});
