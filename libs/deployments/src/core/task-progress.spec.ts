import { deployProgress } from './task-progress';
import { hostHttpCheckCommand, hostTcpCheckCommand, urlHost } from './health-commands';

const steps = (statuses: string[]) => statuses.map((status, index) => ({ index, status }));

describe('deployProgress', () => {
  it.each([
    [
      'names the running step and counts healthy hosts',
      {
        status: 'running' as const,
        steps: steps(['succeeded', 'running', 'pending']),
        hosts: [
          { step: 0, status: 'healthy' as const },
          { step: 1, status: 'applying' as const },
          { step: 2, status: 'pending' as const },
        ],
      },
      { phase: 'step 2/3', done: 1, total: 3, percent: 33 },
    ],
    [
      'says baking while a step bakes',
      {
        status: 'running' as const,
        steps: steps(['baking', 'pending']),
        hosts: [
          { step: 0, status: 'healthy' as const },
          { step: 1, status: 'pending' as const },
        ],
      },
      { phase: 'baking step 1/2', done: 1, total: 2, percent: 50 },
    ],
    [
      'says paused after the gated step',
      {
        status: 'paused' as const,
        steps: steps(['succeeded', 'pending']),
        hosts: [
          { step: 0, status: 'healthy' as const },
          { step: 1, status: 'pending' as const },
        ],
      },
      { phase: 'paused after step 2/2', done: 1, total: 2, percent: 50 },
    ],
    [
      'counts only the hosts being rolled back while rolling back',
      {
        status: 'rolling_back' as const,
        steps: steps(['failed']),
        hosts: [
          { step: 0, status: 'rolled_back' as const },
          { step: 0, status: 'rolling_back' as const },
          { step: 0, status: 'skipped' as const },
        ],
      },
      { phase: 'rolling back', done: 1, total: 2, percent: 50 },
    ],
    [
      'reports a finished deployment by its status',
      { status: 'succeeded' as const, steps: steps(['succeeded']), hosts: [{ step: 0, status: 'healthy' as const }] },
      { phase: 'succeeded', done: 1, total: 1, percent: 100 },
    ],
  ])('%s', (_name, input, expected) => {
    expect(deployProgress(input)).toEqual(expected);
  });
});

describe('host-side health check commands', () => {
  it('quotes the URL of an http check', () => {
    expect(hostHttpCheckCommand(8080, "/health?x=';rm -rf /", 5)).toBe(
      `curl -sS -o /dev/null -w '%{http_code}' --max-time 5 'http://127.0.0.1:8080/health?x='\\'';rm -rf /'`,
    );
  });
  it('builds a tcp check with bash /dev/tcp under a timeout', () => {
    expect(hostTcpCheckCommand(443, 3)).toBe(`timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/443'`);
  });
  it('refuses a port that is not a port', () => {
    expect(() => hostTcpCheckCommand(70000, 3)).toThrow('invalid port');
  });
  it('brackets IPv6 addresses for URLs', () => {
    expect(urlHost('::1')).toBe('[::1]');
    expect(urlHost('10.0.0.1')).toBe('10.0.0.1');
  });
});
