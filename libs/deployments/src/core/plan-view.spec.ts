import { planSteps } from './canary-plan';
import { batchesOf, buildPlanView, placeholdersOf, planExclusions, PlanTarget } from './plan-view';
import { parseStrategy } from './strategy';

const aHost = (id: string, extra: Partial<PlanTarget> = {}): PlanTarget => ({
  id,
  name: `name-${id}`,
  address: '127.0.0.1',
  port: 22,
  hostKeyPinned: true,
  ...extra,
});

const patch = {
  id: 'p1',
  name: 'app 2.0',
  capture: { previousVersion: 'cat /etc/app/version' },
  apply: ['install app 2.0'],
  rollback: ['install app {{previousVersion}} && echo {{ previousVersion }} {{other}}'],
  verify: 'test -f /etc/app/2.0',
  healthChecks: [{ type: 'tcp', port: 22 }],
  timeoutSeconds: 30,
};

describe('placeholdersOf', () => {
  it.each<[string, string, string[]]>([
    ['no placeholder', 'echo hi', []],
    ['one placeholder', 'install {{v}}', ['v']],
    ['a repeated placeholder once, spaces allowed', 'a {{v}} b {{ v }} {{w}}', ['v', 'w']],
  ])('%s', (_name, template, expected) => expect(placeholdersOf(template)).toEqual(expected));
});

describe('batchesOf', () => {
  it.each<[string, number, number, number]>([
    ['an empty step runs no batch', 0, 20, 0],
    ['fewer hosts than maxParallel run in one batch', 3, 20, 1],
    ['exactly maxParallel hosts run in one batch', 20, 20, 1],
    ['one more host than maxParallel needs a second batch', 21, 20, 2],
    ['maxParallel 1 runs one host per batch', 5, 1, 5],
  ])('%s', (_name, hosts, parallel, expected) => expect(batchesOf(hosts, parallel)).toBe(expected));
});

describe('planExclusions', () => {
  it.each<[string, PlanTarget, Map<string, string>, Map<string, string> | undefined, string | null]>([
    ['a pinned, free, unchecked host is not excluded', aHost('a'), new Map(), undefined, null],
    ['a host claimed by a running deployment is excluded as claimed', aHost('a'), new Map([['a', 'd9']]), undefined, 'claimed'],
    ['claimed wins over an unpinned key', aHost('a', { hostKeyPinned: false }), new Map([['a', 'd9']]), undefined, 'claimed'],
    ['an unpinned host is excluded', aHost('a', { hostKeyPinned: false }), new Map(), undefined, 'host_key_not_pinned'],
    ['an unreachable host is excluded', aHost('a'), new Map(), new Map([['a', 'connection refused']]), 'unreachable'],
    ['a reachable checked host is not excluded', aHost('a'), new Map(), new Map(), null],
  ])('%s', (_name, host, claims, unreachable, reason) => {
    const excluded = planExclusions({ targets: [host], claims, unreachable });
    expect(excluded.map((e) => e.reason)).toEqual(reason ? [reason] : []);
  });
});

describe('buildPlanView', () => {
  const targets = ['a', 'b', 'c', 'd', 'e'].map((id) => aHost(id, { hostKeyPinned: id !== 'c' }));
  const strategy = parseStrategy({ type: 'canary', steps: [1, '50%', '100%'], maxParallel: 2, pauseAfterStep: [0] }, 5);
  const steps = planSteps(
    targets.map((t) => t.id),
    strategy,
  );
  const view = buildPlanView({ patch, targets, strategy, steps, claims: new Map(), reachabilityChecked: false });

  it('keeps every target in the step the real deployment would put it in, excluded ones flagged', () => {
    expect(view.steps.map((s) => s.hostIds)).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
    expect(view.steps[1].hosts).toEqual([
      { hostId: 'b', hostName: 'name-b', excluded: false },
      { hostId: 'c', hostName: 'name-c', excluded: true },
    ]);
    expect(view.excluded).toEqual([expect.objectContaining({ hostId: 'c', reason: 'host_key_not_pinned' })]);
  });

  it('estimates the batches from maxParallel and marks pause gates', () => {
    expect(view.steps.map((s) => s.batches)).toEqual([1, 1, 1]);
    expect(view.estimatedBatches).toBe(3);
    expect(view.steps.map((s) => s.pauseAfter)).toEqual([true, false, false]);
  });

  it('shows rollback templates with their placeholders, never rendered values', () => {
    expect(view.commands.rollback).toEqual([{ template: patch.rollback[0], placeholders: ['previousVersion', 'other'] }]);
    expect(view.commands.capture).toEqual([{ name: 'previousVersion', command: 'cat /etc/app/version' }]);
  });

  it('is startable unless a target is claimed', () => {
    expect(view.startable).toBe(true);
    const blocked = buildPlanView({ patch, targets, strategy, steps, claims: new Map([['e', 'd2']]), reachabilityChecked: false });
    expect(blocked.startable).toBe(false);
  });
});
