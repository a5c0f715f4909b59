import { AppProcess, startGateway, startWorker, waitFor } from '../harness/app-process';
import { ApiClient, TEST_ADMIN } from '../harness/api-client';
import { runCli } from '../harness/cli-process';
import { RegisteredHost, registerFleetHosts } from '../harness/fleet-hosts';
import { randomSuffix } from '../harness/test-env';
import { SshFleet } from '../fleet/fleet';
import { filePatch } from '../harness/file-patch';

jest.setTimeout(180_000);

// Operator controls end to end: dry-run plans and retries of failed hosts,
// on a real gateway and worker and real sshd hosts on 127.72.0.x.

const VERSION = 'app/version';
const HEALTH = 'app/health';
const APPLY_LOG = 'app/apply.log';

function loggingPatch(name: string) {
  return filePatch(name, { extraApply: ['echo applied >> "$VZ_STATE_DIR/app/apply.log"'], healthSeconds: 1 });
}

describe('operator controls: plan, retry and live output (gateway + worker + sshd fleet)', () => {
  const fleet = new SshFleet({ subnet: '127.72' });
  const run = randomSuffix();
  let gateway: AppProcess;
  let worker: AppProcess;
  let api: ApiClient;
  let credentialId: string;
  let hosts: RegisteredHost[] = [];

  const waitForTask = (taskId: string): Promise<any> => api.waitForTask(taskId);

  const ids = (from: number, to: number) => hosts.slice(from, to).map((h) => h.id);

  beforeAll(async () => {
    await fleet.start(8);
    [gateway, worker] = await Promise.all([startGateway(), startWorker()]);
    api = await new ApiClient(gateway.url).login(TEST_ADMIN.username, TEST_ADMIN.password);
    ({ credentialId, hosts } = await registerFleetHosts(api, fleet, run, { suite: `ops-${run}` }));
  });

  beforeEach(async () => {
    await Promise.all(
      fleet.hosts.map(async (h) => {
        await fleet.writeHostFile(h, VERSION, '1.0');
        await fleet.writeHostFile(h, HEALTH, 'ok');
        await fleet.writeHostFile(h, APPLY_LOG, '');
      }),
    );
  });

  afterAll(async () => {
    await Promise.all([gateway?.stop(), worker?.stop()]);
    await fleet.stop();
  });

  it('plans without changing anything, and the real deployment then runs exactly the planned steps', async () => {
    const patchId = await api.approvedPatch(loggingPatch(`plan-${run}`));
    const body = { patchId, targets: { hostIds: ids(0, 4) }, strategy: { type: 'canary', steps: [1, '50%', '100%'], maxParallel: 1 } };
    const tasksBefore = (await api.get('/tasks?type=deploy&limit=100')).body.items.length;

    const planned = await api.post('/deployments', { ...body, dryRun: true, checkReachability: true });
    expect(planned.status).toBe(200);
    expect(planned.body).toEqual(
      expect.objectContaining({ dryRun: true, startable: true, reachabilityChecked: true, excluded: [], estimatedBatches: 4 }),
    );
    expect(planned.body.targets.map((t: any) => t.hostId).sort()).toEqual(ids(0, 4).sort());
    expect(planned.body.steps.map((s: any) => [s.cumulative, s.hostIds.length, s.batches])).toEqual([
      [1, 1, 1],
      [2, 1, 1],
      [4, 2, 2],
    ]);
    expect(planned.body.commands.rollback).toEqual([
      { template: 'printf %s {{previousVersion}} > "$VZ_STATE_DIR/app/version"', placeholders: ['previousVersion'] },
    ]);
    // Nothing changed: no task, no claim (the same hosts deploy right away), nothing applied.
    expect((await api.get('/tasks?type=deploy&limit=100')).body.items.length).toBe(tasksBefore);
    expect(await fleet.readHostFile(hosts[0].fleet, APPLY_LOG)).toBe('');

    const { deploymentId, taskId } = await api.deploy(body);
    expect((await waitForTask(taskId)).status).toBe('succeeded');
    const deployment = (await api.get(`/deployments/${deploymentId}`)).body;
    const ranSteps = deployment.steps.map((s: any) => ({
      cumulative: s.size,
      hostIds: deployment.hosts.filter((h: any) => h.step === s.index).map((h: any) => h.hostId),
    }));
    expect(ranSteps).toEqual(planned.body.steps.map((s: any) => ({ cumulative: s.cumulative, hostIds: s.hostIds })));
  });

  it('names hosts it would exclude: claimed by a running deployment, unpinned, unreachable', async () => {
    const patchId = await api.approvedPatch(loggingPatch(`exclude-${run}`));
    const unpinned = await api.post('/hosts', {
      name: `${run}-unpinned`,
      address: hosts[5].fleet.address,
      port: hosts[5].fleet.port,
      credentialId,
    });
    // Pinned with a real key but nobody listens on port 1.
    const dead = await api.post('/hosts', {
      name: `${run}-dead`,
      address: '127.72.0.250',
      port: 1,
      credentialId,
      hostKey: hosts[0].fleet.hostKey,
    });
    expect([unpinned.status, dead.status]).toEqual([201, 201]);
    const holder = await api.deploy({
      patchId,
      targets: { hostIds: ids(6, 8) },
      strategy: { type: 'canary', steps: [1, '100%'], pauseAfterStep: [0] },
    });
    await waitFor(
      async () => (await api.get(`/deployments/${holder.deploymentId}`)).body.status === 'paused',
      60_000,
      'the holder to pause',
    );

    const targets = { hostIds: [hosts[4].id, unpinned.body.id, dead.body.id, hosts[6].id] };
    const planned = await api.post('/deployments', {
      patchId,
      targets,
      strategy: { type: 'all-at-once' },
      dryRun: true,
      checkReachability: true,
    });
    expect(planned.status).toBe(200);
    const reasons = Object.fromEntries(planned.body.excluded.map((e: any) => [e.hostId, e.reason]));
    expect(reasons).toEqual({ [unpinned.body.id]: 'host_key_not_pinned', [dead.body.id]: 'unreachable', [hosts[6].id]: 'claimed' });
    expect(planned.body.excluded.find((e: any) => e.reason === 'claimed').deploymentId).toBe(holder.deploymentId);
    expect(planned.body.startable).toBe(false);
    // The real request with the same body is refused as the plan said.
    expect((await api.post('/deployments', { patchId, targets, strategy: { type: 'all-at-once' } })).status).toBe(409);

    // A retry of a deployment still under way is refused, naming its state.
    const retry = await api.post(`/deployments/${holder.deploymentId}/retry`);
    expect(retry.status).toBe(409);
    expect(retry.body.message).toContain('paused');
    expect((await api.post(`/deployments/${holder.deploymentId}/cancel`)).status).toBe(200);
    await waitForTask(holder.taskId);
  });

  it('refuses a plan with zero hosts or a bad strategy as the real deployment does', async () => {
    const patchId = await api.approvedPatch(loggingPatch(`bad-${run}`));
    const none = await api.post('/deployments', { patchId, targets: { labels: { suite: `nobody-${run}` } }, dryRun: true });
    expect(none.status).toBe(400);
    expect(JSON.stringify(none.body.message)).toContain('targets');
    const badStrategy = await api.post('/deployments', {
      patchId,
      targets: { hostIds: ids(0, 2) },
      strategy: { type: 'canary', steps: [1, '50%'] },
      dryRun: true,
    });
    expect(badStrategy.status).toBe(400);
    expect(JSON.stringify(badStrategy.body.message)).toContain('strategy.steps');
    const notBool = await api.post('/deployments', { patchId, targets: { hostIds: ids(0, 2) }, dryRun: 'yes' });
    expect(notBool.status).toBe(400);
    expect(JSON.stringify(notBool.body.message)).toContain('dryRun');
  });

  it('retries only the failed and untouched hosts of a failed canary, leaving the healthy ones alone', async () => {
    const patchId = await api.approvedPatch(loggingPatch(`retry-${run}`));
    const targets = ids(0, 4);
    await fleet.writeHostFile(hosts[1].fleet, HEALTH, 'bad');
    const first = await api.deploy({
      patchId,
      targets: { hostIds: targets },
      strategy: { type: 'canary', steps: [2, '100%'], maxParallel: 2, autoRollback: false },
    });
    await waitForTask(first.taskId);
    const failed = (await api.get(`/deployments/${first.deploymentId}`)).body;
    expect(failed.status).toBe('failed');
    const statusOf = (d: any, id: string) => d.hosts.find((h: any) => h.hostId === id).status;
    expect(statusOf(failed, hosts[0].id)).toBe('healthy');
    expect(statusOf(failed, hosts[1].id)).toBe('failed');
    // Following a host the failed deployment never started (skipped) ends at once instead of waiting forever.
    const untouched = await fetch(`${gateway.url}/deployments/${first.deploymentId}/hosts/${hosts[3].id}/output?follow=true`, {
      headers: { authorization: `Bearer ${(api as any).token}` },
    });
    expect(await untouched.text()).toMatch(/event: end\ndata: .*"status":"skipped"/);

    await fleet.writeHostFile(hosts[1].fleet, HEALTH, 'ok');
    const retried = await api.post(`/deployments/${first.deploymentId}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.body.statusUrl).toBe(`/tasks/${retried.body.taskId}`);
    expect((await waitForTask(retried.body.taskId)).status).toBe('succeeded');

    const second = (await api.get(`/deployments/${retried.body.deploymentId}`)).body;
    expect(second.retryOf).toBe(first.deploymentId);
    expect(second.strategy).toEqual(expect.objectContaining({ type: 'canary', steps: [2, '100%'], autoRollback: false }));
    expect(second.hosts.map((h: any) => h.hostId).sort()).toEqual([hosts[1].id, hosts[2].id, hosts[3].id].sort());
    expect((await api.get(`/deployments/${first.deploymentId}`)).body.retriedBy).toBe(retried.body.deploymentId);

    expect(await fleet.readHostFile(hosts[0].fleet, APPLY_LOG)).toBe('applied\n');
    expect(await fleet.readHostFile(hosts[1].fleet, APPLY_LOG)).toBe('applied\napplied\n');
    for (const h of hosts.slice(2, 4)) expect(await fleet.readHostFile(h.fleet, APPLY_LOG)).toBe('applied\n');

    // Retried once already; a succeeded deployment cannot be retried either.
    expect((await api.post(`/deployments/${first.deploymentId}/retry`)).status).toBe(409);
    const again = await api.post(`/deployments/${retried.body.deploymentId}/retry`);
    expect(again.status).toBe(409);
    expect(again.body.message).toContain('succeeded');
  });

  it("follows a host's output live: the first line arrives while the command is still running", async () => {
    const patchId = await api.approvedPatch({
      ...loggingPatch(`live-${run}`),
      apply: ['echo first-line; sleep 2; echo second-line; echo to-stderr >&2; printf %s 2.0 > "$VZ_STATE_DIR/app/version"'],
    });
    const host = hosts[4];
    const { deploymentId, taskId } = await api.deploy({ patchId, targets: { hostIds: [host.id] }, strategy: { type: 'all-at-once' } });
    const response = await fetch(`${gateway.url}/deployments/${deploymentId}/hosts/${host.id}/output?follow=true`, {
      headers: { authorization: `Bearer ${(api as any).token}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');

    const events: { event: string; data: any }[] = [];
    let statusWhenFirstLineArrived: string | undefined;
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      buffer += decoder.decode(chunk.value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = /event: (.*)/.exec(block)?.[1];
        if (!event) continue;
        const data = JSON.parse(/data: (.*)/.exec(block)?.[1] ?? 'null');
        events.push({ event, data });
        if (event === 'output' && String(data.text).includes('first-line') && statusWhenFirstLineArrived === undefined) {
          statusWhenFirstLineArrived = (await api.get(`/deployments/${deploymentId}/hosts/${host.id}/output`)).body.status;
        }
      }
    }
    // The apply command was still running (it sleeps before its second line) when its first line was followed.
    expect(statusWhenFirstLineArrived).toBe('applying');
    const live = events.filter((e) => e.event === 'output');
    const firstAt = live.findIndex((e) => e.data.text.includes('first-line'));
    const secondAt = live.findIndex((e) => e.data.text.includes('second-line'));
    expect(firstAt).toBeGreaterThanOrEqual(0);
    expect(secondAt).toBeGreaterThan(firstAt);
    expect(live[firstAt].data).toEqual(expect.objectContaining({ phase: 'apply', stream: 'stdout' }));
    expect(live.some((e) => e.data.stream === 'stderr' && e.data.text.includes('to-stderr'))).toBe(true);
    for (const e of live) expect(Buffer.byteLength(JSON.stringify(e.data))).toBeLessThanOrEqual(8 * 1024);
    expect(events.at(-1)).toEqual({ event: 'end', data: expect.objectContaining({ hostId: host.id, status: 'healthy' }) });
    expect((await waitForTask(taskId)).status).toBe('succeeded');

    const recorded = await api.get(`/deployments/${deploymentId}/hosts/${host.id}/output`);
    expect(recorded.status).toBe(200);
    expect(recorded.body).toEqual(expect.objectContaining({ status: 'healthy', settled: true }));
    expect(recorded.body.output.find((r: any) => r.phase === 'apply').stdout).toBe('first-line\nsecond-line\n');

    expect((await api.get(`/deployments/${deploymentId}/hosts/${hosts[5].id}/output`)).status).toBe(404);
    const badFollow = await api.get(`/deployments/${deploymentId}/hosts/${host.id}/output?follow=maybe`);
    expect(badFollow.status).toBe(400);
    expect(JSON.stringify(badFollow.body.message)).toContain('follow');
  });

  const cli = (args: string[]) => runCli(args, { VULNZERO_URL: gateway.url, VULNZERO_TOKEN: (api as any).token });

  it('drives plan, retry and logs from the vulnzero command', async () => {
    const patchId = await api.approvedPatch(loggingPatch(`cli-${run}`));
    const hostList = hosts
      .slice(0, 3)
      .map((h) => h.name)
      .join(',');
    const plan = await cli(['deploy', '--patch', patchId, '--hosts', hostList, '--steps', '1,100%', '--plan', '--json']);
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.stdout).steps.map((s: any) => s.hostIds.length)).toEqual([1, 2]);
    const human = await cli(['deploy', '--patch', patchId, '--hosts', hostList, '--steps', '1,100%', '--plan']);
    expect(human.stdout).toContain('step 0: 1 host(s)');
    expect(human.stdout).toContain('nothing was changed');
    expect((await cli(['deploy', '--patch', patchId, '--hosts', hostList, '--plan', '--wait'])).code).toBe(2);

    await fleet.writeHostFile(hosts[0].fleet, HEALTH, 'bad');
    const failed = await api.deploy({
      patchId,
      targets: { hostIds: ids(0, 3) },
      strategy: { type: 'canary', steps: [1, '100%'], autoRollback: false },
    });
    await waitForTask(failed.taskId);
    const logs = await cli(['logs', failed.deploymentId, '--host', hosts[0].name]);
    expect(logs.code).toBe(1);
    expect(logs.stdout).toContain('[apply] echo applied');
    expect(logs.stdout).toContain(`${hosts[0].name}: failed — health`);

    await fleet.writeHostFile(hosts[0].fleet, HEALTH, 'ok');
    const retried = await cli(['retry', failed.deploymentId, '--wait', '--json']);
    expect(retried.code).toBe(0);
    const body = JSON.parse(retried.stdout);
    expect(body.retryOf).toBe(failed.deploymentId);
    expect(body.deployment.status).toBe('succeeded');
    expect((await cli(['retry', failed.deploymentId])).code).toBe(1);
  });
});
