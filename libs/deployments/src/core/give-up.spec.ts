import type { DeploymentStatus } from './deployment-state';
import { canTransition } from './deployment-state';
import { GivenUpJob, GiveUpHost, giveUpPlan, GiveUpPlan } from './give-up';
import { canHostTransition } from './host-state';

const LOST = { code: 'job_lost', message: "the task's job was lost 5 times; giving up" };

function aHost(overrides: Partial<GiveUpHost> & { hostId: string }): GiveUpHost {
  return { hostName: overrides.hostId.toUpperCase(), status: 'pending', rollbackStored: false, ...overrides };
}

describe('giveUpPlan', () => {
  it.each<{ name: string; status: DeploymentStatus; job: GivenUpJob; hosts: GiveUpHost[]; expected: Partial<GiveUpPlan> | null }>([
    {
      name: 'fails a running deployment, skips its hosts not started and fails those in flight',
      status: 'running',
      job: 'deploy',
      hosts: [
        aHost({ hostId: 'a', status: 'healthy', rollbackStored: true }),
        aHost({ hostId: 'b', status: 'applying', rollbackStored: true }),
        aHost({ hostId: 'c', status: 'capturing' }),
        aHost({ hostId: 'd' }),
      ],
      expected: {
        transitions: ['failed'],
        final: 'failed',
        hosts: [
          {
            hostId: 'b',
            from: 'applying',
            status: 'failed',
            error: expect.stringMatching(/lost 5 times.*while the host was applying \(apply may have run/),
          },
          { hostId: 'c', from: 'capturing', status: 'failed', error: expect.stringMatching(/before apply, the host was not changed/) },
          { hostId: 'd', from: 'pending', status: 'skipped', error: null },
        ],
        error: LOST,
      },
    },
    {
      name: 'fails a deployment whose job was lost before it started',
      status: 'pending',
      job: 'deploy',
      hosts: [aHost({ hostId: 'a' })],
      expected: {
        transitions: ['failed'],
        final: 'failed',
        hosts: [{ hostId: 'a', from: 'pending', status: 'skipped', error: null }],
        error: LOST,
      },
    },
    {
      name: 'fails a deployment paused at a gate',
      status: 'paused',
      job: 'deploy',
      hosts: [aHost({ hostId: 'a', status: 'healthy', rollbackStored: true })],
      expected: { transitions: ['failed'], final: 'failed', hosts: [], error: LOST },
    },
    {
      name: 'ends an automatic rollback the deploy job left mid-way rollback_failed, naming every host not rolled back',
      status: 'rolling_back',
      job: 'deploy',
      hosts: [
        aHost({ hostId: 'a', status: 'rolled_back', rollbackStored: true }),
        aHost({ hostId: 'b', status: 'rolling_back', rollbackStored: true }),
        aHost({ hostId: 'c', status: 'failed', rollbackStored: true }),
        aHost({ hostId: 'd', status: 'skipped' }),
      ],
      expected: {
        transitions: ['rollback_failed'],
        final: 'rollback_failed',
        hosts: [
          { hostId: 'b', from: 'rolling_back', status: 'rollback_failed', error: expect.stringMatching(/^rollback: did not finish/) },
        ],
        error: { code: 'job_lost', message: expect.stringMatching(/not rolled back: B, C$/), hosts: ['B', 'C'] },
      },
    },
    {
      name: 'ends a rollback job that never started on a succeeded deployment rollback_failed, through rolling_back',
      status: 'succeeded',
      job: 'rollback',
      hosts: [aHost({ hostId: 'a', status: 'healthy', rollbackStored: true })],
      expected: { transitions: ['rolling_back', 'rollback_failed'], final: 'rollback_failed', hosts: [] },
    },
    {
      name: 'keeps a rollback_failed deployment whose retried rollback never started, with the reason',
      status: 'rollback_failed',
      job: 'rollback',
      hosts: [aHost({ hostId: 'a', status: 'rollback_failed', rollbackStored: true })],
      expected: { transitions: [], final: 'rollback_failed', hosts: [] },
    },
    {
      name: 'leaves a finished deployment alone when its deploy job is given up',
      status: 'succeeded',
      job: 'deploy',
      hosts: [],
      expected: null,
    },
    { name: 'leaves a rolled back deployment alone', status: 'rolled_back', job: 'rollback', hosts: [], expected: null },
    {
      name: 'leaves a running deployment to its deploy job when a rollback job is given up',
      status: 'running',
      job: 'rollback',
      hosts: [],
      expected: null,
    },
  ])('$name', ({ status, job, hosts, expected }) => {
    const plan = giveUpPlan({ status, hosts }, job, LOST);
    if (expected === null) {
      expect(plan).toBeNull();
      return;
    }
    expect(plan).toEqual(expect.objectContaining(expected));
  });

  it('only ever plans allowed transitions', () => {
    const statuses: DeploymentStatus[] = [
      'pending',
      'running',
      'paused',
      'succeeded',
      'failed',
      'rolling_back',
      'rolled_back',
      'rollback_failed',
      'cancelled',
    ];
    const hosts = [
      aHost({ hostId: 'a', status: 'applying', rollbackStored: true }),
      aHost({ hostId: 'b', status: 'rolling_back', rollbackStored: true }),
      aHost({ hostId: 'c' }),
    ];
    for (const status of statuses) {
      for (const job of ['deploy', 'rollback'] as GivenUpJob[]) {
        const plan = giveUpPlan({ status, hosts }, job, LOST);
        if (!plan) continue;
        let from = status;
        for (const to of plan.transitions) {
          expect({ from, to, allowed: canTransition(from, to) }).toEqual({ from, to, allowed: true });
          from = to;
        }
        expect(from).toBe(plan.final);
        for (const host of plan.hosts)
          expect({ ...host, allowed: canHostTransition(host.from, host.status) }).toEqual({ ...host, allowed: true });
      }
    }
  });
});
