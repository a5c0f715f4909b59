import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AppProcess, startGateway, startWorker, waitFor } from '../harness/app-process';
import { ApiClient, TEST_ADMIN } from '../harness/api-client';
import { randomSuffix } from '../harness/test-env';
import { FleetHost, SshFleet } from '../fleet/fleet';
import { breakHealthOn, filePatch } from '../harness/file-patch';

jest.setTimeout(180_000);

// The deploy engine end to end: real gateway and worker processes, real
// PostgreSQL and Redis, and 24 real sshd hosts on 127.64.0.x.

const VERSION = 'app/version';
const HEALTH = 'app/health';

describe('deploy engine (gateway + worker + sshd fleet)', () => {
  const fleet = new SshFleet({ subnet: '127.64' });
  const run = randomSuffix();
  let gateway: AppProcess;
  let worker: AppProcess;
  let api: ApiClient;
  let hosts: { id: string; name: string; fleet: FleetHost }[] = [];
  let label: string;

  async function resetFiles(version = '1.0'): Promise<void> {
    await Promise.all(
      fleet.hosts.map(async (h) => {
        await fleet.writeHostFile(h, VERSION, version);
        await fleet.writeHostFile(h, HEALTH, 'ok');
      }),
    );
  }

  const waitForTask = (taskId: string, timeoutMs = 120_000): Promise<any> => api.waitForTask(taskId, timeoutMs);

  async function waitForStatus(deploymentId: string, status: string): Promise<any> {
    let deployment: any;
    await waitFor(
      async () => {
        deployment = (await api.get(`/deployments/${deploymentId}`)).body;
        return deployment.status === status;
      },
      60_000,
      `deployment ${deploymentId} to be ${status}`,
    );
    return deployment;
  }

  const first = (n: number) => hosts.slice(0, n).map((h) => h.id);

  beforeAll(async () => {
    await fleet.start(24);
    [gateway, worker] = await Promise.all([startGateway(), startWorker()]);
    api = await new ApiClient(gateway.url).login(TEST_ADMIN.username, TEST_ADMIN.password);
    const credential = await api.post('/credentials', { name: `fleet-${run}`, username: fleet.username, privateKey: fleet.privateKey });
    expect(credential.status).toBe(201);
    label = `deploy-${run}`;
    const bulk = await api.post('/hosts/bulk', {
      hosts: fleet.hosts.slice(0, 22).map((h) => ({
        name: `${run}-${h.name}`,
        address: h.address,
        port: h.port,
        credentialId: credential.body.id,
        hostKey: h.hostKey,
        labels: { suite: label },
      })),
    });
    expect(bulk.status).toBe(201);
    hosts = (bulk.body.items as { id: string; name: string }[])
      .map((item) => ({ id: item.id, name: item.name, fleet: fleet.host(item.name.slice(run.length + 1)) as FleetHost }))
      .sort((a, b) => a.name.localeCompare(b.name));
  });

  beforeEach(() => resetFiles());

  afterAll(async () => {
    await Promise.all([gateway?.stop(), worker?.stop()]);
    await fleet.stop();
  });

  it('patches every host of a good canary and records each host healthy with its stored rollback', async () => {
    const patchId = await api.approvedPatch(filePatch(`good-${run}`, { restoresHealth: true }));
    const { deploymentId, taskId, statusUrl } = await api.deploy({
      patchId,
      targets: { hostIds: first(20) },
      strategy: { type: 'canary', steps: [1, '10%', '50%', '100%'], maxParallel: 5 },
    });
    expect(statusUrl).toBe(`/tasks/${taskId}`);
    const task = await waitForTask(taskId);
    expect(task).toEqual(expect.objectContaining({ status: 'succeeded', type: 'deploy', result: { deploymentStatus: 'succeeded' } }));
    expect(task.progress).toEqual(expect.objectContaining({ done: 20, total: 20, percent: 100 }));

    const deployment = (await api.get(`/deployments/${deploymentId}`)).body;
    expect(deployment.status).toBe('succeeded');
    expect(deployment.steps.map((s: any) => [s.size, s.status])).toEqual([
      [1, 'succeeded'],
      [2, 'succeeded'],
      [10, 'succeeded'],
      [20, 'succeeded'],
    ]);
    expect(deployment.hosts).toHaveLength(20);
    for (const host of deployment.hosts) {
      expect(host).toEqual(
        expect.objectContaining({
          status: 'healthy',
          exitCode: 0,
          captured: { previousVersion: '1.0', previousHealth: 'ok' },
          rollbackCommands: [
            `vz_cap_previousVersion='1.0'; printf %s "\${vz_cap_previousVersion?}" > "$VZ_STATE_DIR/app/version"`,
            `vz_cap_previousHealth='ok'; printf %s "\${vz_cap_previousHealth?}" > "$VZ_STATE_DIR/app/health"`,
          ],
        }),
      );
      // Write-ahead: the rollback was stored before the first apply command ran.
      const firstApply = host.output.find((o: any) => o.phase === 'apply');
      expect(new Date(host.rollbackStoredAt).getTime()).toBeLessThanOrEqual(new Date(firstApply.at).getTime());
    }
    for (const host of hosts.slice(0, 20)) expect(await fleet.readHostFile(host.fleet, VERSION)).toBe('2.0');
    expect(await fleet.readHostFile(hosts[20]!.fleet, VERSION)).toBe('1.0');

    // A manual rollback of the good deployment restores every host.
    const rollback = await api.post(`/deployments/${deploymentId}/rollback`);
    expect(rollback.status).toBe(202);
    const rollbackTask = await waitForTask(rollback.body.taskId);
    expect(rollbackTask).toEqual(expect.objectContaining({ status: 'succeeded', type: 'rollback', parentTaskId: taskId }));
    const after = (await api.get(`/deployments/${deploymentId}`)).body;
    expect(after.status).toBe('rolled_back');
    expect(after.hosts.every((h: any) => h.status === 'rolled_back')).toBe(true);
    for (const host of hosts.slice(0, 20)) expect(await fleet.readHostFile(host.fleet, VERSION)).toBe('1.0');
    const verifyAfter = after.hosts[0].output.find((o: any) => o.phase === 'rollback-verify');
    expect(verifyAfter.exitCode).not.toBe(0);
  });

  it('stops a canary whose third host turns unhealthy and rolls back every changed host, newest first', async () => {
    const breakHost3 = breakHealthOn(hosts[2]!.fleet.name);
    const patchId = await api.approvedPatch(filePatch(`bad-${run}`, { restoresHealth: true, extraApply: [breakHost3] }));
    const { deploymentId, taskId } = await api.deploy({
      patchId,
      targets: { hostIds: first(20) },
      strategy: { type: 'canary', steps: [1, 3, '50%', '100%'], maxParallel: 1 },
    });
    const task = await waitForTask(taskId);
    expect(task.status).toBe('failed');
    expect(task.result).toEqual({ deploymentStatus: 'rolled_back' });

    const deployment = (await api.get(`/deployments/${deploymentId}`)).body;
    expect(deployment.status).toBe('rolled_back');
    expect(deployment.rollbackTaskId).toEqual(expect.any(String));
    const rollbackTask = (await api.get(`/tasks/${deployment.rollbackTaskId}`)).body;
    expect(rollbackTask).toEqual(expect.objectContaining({ status: 'succeeded', parentTaskId: taskId }));

    const byName = new Map(deployment.hosts.map((h: any) => [h.hostName, h]));
    const changed = hosts.slice(0, 3).map((h) => byName.get(h.name) as any);
    expect(changed.map((h) => h.status)).toEqual(['rolled_back', 'rolled_back', 'rolled_back']);
    // The host that broke keeps the reason it failed, next to its rollback.
    expect(changed[2].error).toMatch(/^health: /);
    expect(changed[0].error).toBeNull();
    const order = [...changed].sort((a, b) => Date.parse(a.rollbackStartedAt) - Date.parse(b.rollbackStartedAt)).map((h) => h.hostName);
    expect(order).toEqual([hosts[2]!.name, hosts[1]!.name, hosts[0]!.name]);
    for (const host of hosts.slice(0, 3)) {
      expect(await fleet.readHostFile(host.fleet, VERSION)).toBe('1.0');
      expect(await fleet.readHostFile(host.fleet, HEALTH)).toBe('ok');
    }
    for (const host of hosts.slice(3, 20)) {
      const record = byName.get(host.name) as any;
      expect(record.status).toBe('skipped');
      expect(record.output).toEqual([]);
      expect(await fleet.readHostFile(host.fleet, VERSION)).toBe('1.0');
    }
  });

  it('marks a host whose rollback command fails rollback_failed and still restores the others', async () => {
    const failOnHost2 = `test "$VZ_HOST_NAME" != ${hosts[1]!.fleet.name}`;
    const patchId = await api.approvedPatch(filePatch(`rbfail-${run}`, { restoresHealth: true, extraRollback: [failOnHost2] }));
    const { deploymentId, taskId } = await api.deploy({ patchId, targets: { hostIds: first(3) }, strategy: { type: 'all-at-once' } });
    expect((await waitForTask(taskId)).status).toBe('succeeded');
    const rollback = await api.post(`/deployments/${deploymentId}/rollback`);
    const rollbackTask = await waitForTask(rollback.body.taskId);
    expect(rollbackTask.status).toBe('failed');
    const deployment = (await api.get(`/deployments/${deploymentId}`)).body;
    expect(deployment.status).toBe('rollback_failed');
    expect(deployment.error.hosts).toEqual([hosts[1]!.name]);
    const failed = deployment.hosts.find((h: any) => h.hostName === hosts[1]!.name);
    expect(failed.status).toBe('rollback_failed');
    expect(failed.error).toContain(failOnHost2);
    expect(failed.exitCode).toBe(1);
    expect(await fleet.readHostFile(hosts[0]!.fleet, VERSION)).toBe('1.0');
    expect(await fleet.readHostFile(hosts[2]!.fleet, VERSION)).toBe('1.0');
  });

  it('pauses after the gated step until promoted, and refuses an overlapping deployment with 409', async () => {
    const patchId = await api.approvedPatch(filePatch(`gate-${run}`, { restoresHealth: true }));
    const { deploymentId, taskId } = await api.deploy({
      patchId,
      targets: { labels: { suite: label } },
      strategy: { type: 'canary', steps: [2, '100%'], maxParallel: 10, pauseAfterStep: [0] },
    });
    const paused = await waitForStatus(deploymentId, 'paused');
    expect(paused.hosts.filter((h: any) => h.status === 'healthy')).toHaveLength(2);
    expect((await api.get(`/tasks/${taskId}`)).body.status).toBe('paused');

    const overlap = await api.post('/deployments', { patchId, targets: { hostIds: [hosts[5]!.id] } });
    expect(overlap.status).toBe(409);
    expect(overlap.body.message).toContain(hosts[5]!.name);

    expect((await api.post(`/deployments/${deploymentId}/promote`)).status).toBe(200);
    const task = await waitForTask(taskId);
    expect(task.status).toBe('succeeded');
    const done = (await api.get(`/deployments/${deploymentId}`)).body;
    expect(done.hosts.every((h: any) => h.status === 'healthy')).toBe(true);
    expect(done.hosts).toHaveLength(22);
  });

  it('cancels a paused deployment: the rest are skipped and the patched hosts stay as recorded', async () => {
    const patchId = await api.approvedPatch(filePatch(`cancel-${run}`, { restoresHealth: true }));
    const { deploymentId, taskId } = await api.deploy({
      patchId,
      targets: { hostIds: first(6) },
      strategy: { type: 'canary', steps: [2, '100%'], pauseAfterStep: [0] },
    });
    await waitForStatus(deploymentId, 'paused');
    expect((await api.post(`/deployments/${deploymentId}/cancel`)).status).toBe(200);
    const task = await waitForTask(taskId);
    expect(task.status).toBe('cancelled');
    const deployment = (await api.get(`/deployments/${deploymentId}`)).body;
    expect(deployment.status).toBe('cancelled');
    expect(deployment.hosts.map((h: any) => h.status)).toEqual(['healthy', 'healthy', 'skipped', 'skipped', 'skipped', 'skipped']);
    expect(await fleet.readHostFile(hosts[0]!.fleet, VERSION)).toBe('2.0');
    expect(await fleet.readHostFile(hosts[2]!.fleet, VERSION)).toBe('1.0');
    // Its hosts are free again.
    const next = await api.deploy({ patchId, targets: { hostIds: first(2) }, strategy: { type: 'all-at-once' } });
    expect((await waitForTask(next.taskId)).status).toBe('succeeded');
  });

  it('honours Idempotency-Key: same body gives the same deployment, another body 409', async () => {
    const patchId = await api.approvedPatch(filePatch(`idem-${run}`, { restoresHealth: true }));
    const body = { patchId, targets: { hostIds: first(2) }, strategy: { type: 'all-at-once' } };
    const key = `ci-${run}-1`;
    const a = await api.deploy(body, { 'Idempotency-Key': key });
    const b = await api.deploy(body, { 'Idempotency-Key': key });
    expect(b).toEqual(a);
    const other = await api.post('/deployments', { ...body, targets: { hostIds: first(3) } }, { 'Idempotency-Key': key });
    expect(other.status).toBe(409);
    await waitForTask(a.taskId);
  });

  it('passes a hostile captured value to the rollback as one quoted argument', async () => {
    const hostile = `1.0'; touch "$VZ_STATE_DIR/pwned"; echo '`;
    const host = hosts[0]!;
    await fleet.writeHostFile(host.fleet, VERSION, hostile);
    const patchId = await api.approvedPatch(filePatch(`hostile-${run}`, { restoresHealth: true }));
    const { deploymentId, taskId } = await api.deploy({ patchId, targets: { hostIds: [host.id] }, strategy: { type: 'all-at-once' } });
    expect((await waitForTask(taskId)).status).toBe('succeeded');
    const rollback = await api.post(`/deployments/${deploymentId}/rollback`);
    expect((await waitForTask(rollback.body.taskId)).status).toBe('succeeded');
    const record = (await api.get(`/deployments/${deploymentId}`)).body.hosts[0];
    expect(record.captured.previousVersion).toBe(hostile);
    expect(record.rollbackCommands[0]).toBe(
      `vz_cap_previousVersion='1.0'\\''; touch "$VZ_STATE_DIR/pwned"; echo '\\'''; printf %s "\${vz_cap_previousVersion?}" > "$VZ_STATE_DIR/app/version"`,
    );
    expect(await fleet.readHostFile(host.fleet, VERSION)).toBe(hostile);
    expect(existsSync(join(host.fleet.stateDir, 'pwned'))).toBe(false);
  });

  it('sends no command to a host presenting another key, and records the mismatch with both fingerprints', async () => {
    const credentialId = (await api.get('/credentials')).body.items.find((c: any) => c.name === `fleet-${run}`).id;
    const [real, impostor] = [fleet.hosts[22]!, fleet.hosts[23]!];
    const created = await api.post('/hosts', {
      name: `${run}-mismatch`,
      address: impostor.address,
      port: impostor.port,
      credentialId,
      hostKey: real.hostKey,
    });
    expect(created.status).toBe(201);
    const patchId = await api.approvedPatch(filePatch(`mismatch-${run}`, { restoresHealth: true }));
    const { deploymentId, taskId } = await api.deploy({
      patchId,
      targets: { hostIds: [created.body.id] },
      strategy: { type: 'all-at-once' },
    });
    const task = await waitForTask(taskId);
    expect(task.status).toBe('failed');
    const record = (await api.get(`/deployments/${deploymentId}`)).body.hosts[0];
    expect(record.status).toBe('failed');
    expect(record.error).toContain('host key mismatch');
    expect(record.error).toContain(real.hostKeyFingerprint);
    expect(record.error).toContain(impostor.hostKeyFingerprint);
    expect(record.output).toEqual([]);
    expect(record.rollbackCommands).toBeNull();
    expect(await fleet.readHostFile(impostor, VERSION)).toBe('1.0');
  });

  it('rejects bad strategies and targets with 400 naming the field', async () => {
    const patchId = await api.approvedPatch(filePatch(`bad-input-${run}`, { restoresHealth: true }));
    const cases: [object, string][] = [
      [{ type: 'canary', steps: [-1, '100%'] }, 'strategy.steps[0]'],
      [{ type: 'canary', steps: ['200%'] }, 'strategy.steps[0]'],
      [{ type: 'canary', steps: ['abc', '100%'] }, 'strategy.steps[0]'],
      [{ type: 'canary', steps: [5, 2, '100%'] }, 'strategy.steps'],
      [{ type: 'canary', steps: ['100%'], surprise: true }, 'strategy.surprise'],
      [{ type: 'blue-green' }, 'strategy.type'],
    ];
    for (const [strategy, field] of cases) {
      const response = await api.post('/deployments', { patchId, targets: { hostIds: first(2) }, strategy });
      expect({ strategy, status: response.status }).toEqual({ strategy, status: 400 });
      expect(JSON.stringify(response.body.message)).toContain(field);
    }
    const none = await api.post('/deployments', { patchId, targets: { labels: { suite: 'no-such-suite' } } });
    expect(none.status).toBe(400);
    expect(JSON.stringify(none.body.message)).toContain('targets');
    const draft = (await api.post('/patches', filePatch(`draft-${run}`, { restoresHealth: true }))).body.id;
    expect((await api.post('/deployments', { patchId: draft, targets: { hostIds: first(1) } })).status).toBe(409);
  });

  it('streams task and host transitions over SSE, then the final state', async () => {
    const patchId = await api.approvedPatch(filePatch(`sse-${run}`, { restoresHealth: true }));
    const { taskId } = await api.deploy({
      patchId,
      targets: { hostIds: first(4) },
      strategy: { type: 'canary', steps: [1, '100%'], bakeSeconds: 1 },
    });
    const response = await fetch(`${gateway.url}/tasks/${taskId}/events`, { headers: { authorization: `Bearer ${(api as any).token}` } });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text();
    const events = text
      .split('\n\n')
      .filter((block) => block.includes('event:'))
      .map((block) => ({ event: /event: (.*)/.exec(block)?.[1], data: JSON.parse(/data: (.*)/.exec(block)?.[1] ?? 'null') }));
    expect(events.at(-1)).toEqual({ event: 'end', data: expect.objectContaining({ id: taskId, status: 'succeeded' }) });
    const hostEvents = events.filter((e) => e.event === 'host').map((e) => e.data.status);
    expect(hostEvents).toEqual(expect.arrayContaining(['capturing', 'applying', 'verifying', 'healthy']));
  });
});
