import { tallyByStatus } from './record-tallies';

const known = { kinds: ['deploy', 'scan'], finalStatuses: ['succeeded', 'failed'], openStatuses: ['queued', 'running'] };

describe('tallyByStatus', () => {
  it('gives every known kind and final status a sample, zero when no row has it', () => {
    const { finished } = tallyByStatus('type', [{ kind: 'deploy', status: 'failed', count: 3 }], known);
    expect(finished).toEqual([
      { labels: { type: 'deploy', status: 'succeeded' }, value: 0 },
      { labels: { type: 'deploy', status: 'failed' }, value: 3 },
      { labels: { type: 'scan', status: 'succeeded' }, value: 0 },
      { labels: { type: 'scan', status: 'failed' }, value: 0 },
    ]);
  });

  it('puts open statuses apart from final ones', () => {
    const { open, finished } = tallyByStatus('type', [{ kind: 'scan', status: 'running', count: 2, oldestSeconds: 40 }], known);
    expect(open).toContainEqual({ labels: { type: 'scan', status: 'running' }, value: 2 });
    expect(finished.some((s) => s.labels.status === 'running')).toBe(false);
  });

  it('reports the age of the oldest open row only for groups that have rows', () => {
    const { oldestOpenSeconds } = tallyByStatus(
      'type',
      [
        { kind: 'deploy', status: 'queued', count: 1, oldestSeconds: 900.5 },
        { kind: 'deploy', status: 'running', count: 0, oldestSeconds: 12 },
        { kind: 'scan', status: 'running', count: 1, oldestSeconds: null },
      ],
      known,
    );
    expect(oldestOpenSeconds).toEqual([{ labels: { type: 'deploy', status: 'queued' }, value: 900.5 }]);
  });

  it('keeps a kind or status the code does not know yet (a newer row written by a newer release)', () => {
    const { finished, open } = tallyByStatus('strategy', [{ kind: 'blue-green', status: 'paused', count: 1 }], known);
    expect(open).toContainEqual({ labels: { strategy: 'blue-green', status: 'paused' }, value: 1 });
    expect(finished).toContainEqual({ labels: { strategy: 'blue-green', status: 'succeeded' }, value: 0 });
  });

  it('clamps a negative age (clock skew between database and worker) to zero', () => {
    const { oldestOpenSeconds } = tallyByStatus('type', [{ kind: 'scan', status: 'queued', count: 1, oldestSeconds: -3 }], known);
    expect(oldestOpenSeconds).toEqual([{ labels: { type: 'scan', status: 'queued' }, value: 0 }]);
  });
});
