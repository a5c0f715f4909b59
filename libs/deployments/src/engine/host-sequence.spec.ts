import { phasesReached, SequenceStep } from './host-sequence';

const steps: SequenceStep[] = [
  { phase: 'capture', command: 'cat /etc/v', timeoutMs: 1000 },
  { phase: 'apply', command: 'echo 2 > /etc/v', timeoutMs: 1000 },
  { phase: 'verify', command: 'grep 2 /etc/v', timeoutMs: 1000 },
  { phase: 'health', command: 'true', timeoutMs: 1000 },
];

describe('phasesReached', () => {
  it.each<{ name: string; run: Parameters<typeof phasesReached>[1]; expected: ReturnType<typeof phasesReached> }>([
    {
      name: 'is still in capture when the rollback was never committed',
      run: { startedAt: [100], writeAhead: undefined },
      expected: { passed: [], current: { phase: 'capture', since: 50 } },
    },
    {
      name: 'is still in capture when the gate refused',
      run: { startedAt: [100], writeAhead: { stored: false, failure: new Error('NUL byte') } },
      expected: { passed: [], current: { phase: 'capture', since: 50 } },
    },
    {
      name: 'is in apply from the commit until a command after apply starts',
      run: { startedAt: [100, 210], writeAhead: { stored: true, at: 200 } },
      expected: { passed: [{ phase: 'capture', since: 50, until: 200 }], current: { phase: 'apply', since: 200 } },
    },
    {
      name: 'is in the phase of the first command after apply from when it started',
      run: { startedAt: [100, 210, 300, 400], writeAhead: { stored: true, at: 200 } },
      expected: {
        passed: [
          { phase: 'capture', since: 50, until: 200 },
          { phase: 'apply', since: 200, until: 300 },
        ],
        current: { phase: 'verify', since: 300 },
      },
    },
  ])('$name', ({ run, expected }) => {
    expect(phasesReached(steps, run, 50)).toEqual(expected);
  });
});
