import { AppProcess, startGateway, startWorker, waitFor } from '../harness/app-process';
import { ApiClient, TEST_ADMIN } from '../harness/api-client';
import { runCli } from '../harness/cli-process';
import { RegisteredHost, registerFleetHosts } from '../harness/fleet-hosts';
import { randomSuffix } from '../harness/test-env';
import { SshFleet } from '../fleet/fleet';
import { filePatch } from '../harness/file-patch';

jest.setTimeout(240_000);

// Maintenance windows and notBefore end to end (issue 14): no host starts
// outside its window; a window closing mid-deployment lets the running host
// finish, pauses the deployment (window_closed) and the next opening resumes
// it. Real gateway, worker and sshd hosts on 127.75.0.x; windows are seconds long.

const VERSION = 'app/version';
const APPLY_LOG = 'app/apply.log';

/** Each host's apply takes `seconds`, so a short window closes while hosts are running. */
function slowPatch(name: string, seconds: number) {
  return filePatch(name, {
    applyBefore: [`sleep ${seconds}`],
    extraApply: ['echo applied >> "$VZ_STATE_DIR/app/apply.log"'],
    healthSeconds: false,
  });
}

/** A wall-clock time in UTC, as a one-off window takes it. */
const wall = (ms: number) => new Date(ms).toISOString().slice(0, 19);

describe('maintenance windows and notBefore (gateway + worker + sshd fleet)', () => {
  const fleet = new SshFleet({ subnet: '127.75' });
  const run = randomSuffix();
  let gateway: AppProcess;
  let worker: AppProcess;
  let api: ApiClient;
  let hosts: RegisteredHost[] = [];
  let slowPatchId: string;

  const ids = (from: number, to: number) => hosts.slice(from, to).map((h) => h.id);

  beforeAll(async () => {
    await fleet.start(10);
    [gateway, worker] = await Promise.all([startGateway(), startWorker()]);
    api = await new ApiClient(gateway.url).login(TEST_ADMIN.username, TEST_ADMIN.password);
    ({ hosts } = await registerFleetHosts(api, fleet, run));
    const patch = await api.post('/patches', slowPatch(`mw-slow-${run}`, 1.5));
    expect(patch.status).toBe(201);
    expect((await api.post(`/patches/${patch.body.id}/approve`)).status).toBe(200);
    slowPatchId = patch.body.id;
  });

  beforeEach(async () => {
    await Promise.all(
      fleet.hosts.map(async (h) => {
        await fleet.writeHostFile(h, VERSION, '1.0');
        await fleet.writeHostFile(h, APPLY_LOG, '');
      }),
    );
  });

  afterAll(async () => {
    await Promise.all([gateway?.stop(), worker?.stop()]);
    await fleet.stop();
  });

  it('refuses bad windows and notBefore with 400 naming the field, and a duplicate name with 409', async () => {
    const target = { patchId: slowPatchId, targets: { hostIds: ids(0, 1) } };
    const refused = async (body: object, field: string) => {
      const response = await api.post('/deployments', body);
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body)).toContain(field);
      return response.body;
    };
    await refused({ ...target, window: { start: '2030-06-02T02:00', end: '2030-06-01T22:00', timezone: 'UTC' } }, 'window.end');
    await refused(
      { ...target, window: { start: '2030-06-01T22:00', end: '2030-06-02T02:00', timezone: 'Mars/Olympus' } },
      'window.timezone',
    );
    await refused({ ...target, window: { recurrence: '0 25 * * *', duration: '1h', timezone: 'UTC' } }, 'window.recurrence');
    await refused({ ...target, window: { start: '2020-01-01T00:00', end: '2020-01-01T01:00', timezone: 'UTC' } }, 'never open');
    await refused({ ...target, window: `no-such-window-${run}` }, 'no maintenance window named');
    await refused({ ...target, notBefore: 'tomorrow' }, 'notBefore');
    await refused({ ...target, notBefore: '2030-06-01T22:00' }, 'notBefore'); // no offset: ambiguous
    await refused({ ...target, notBefore: '2027-02-30T22:00:00Z' }, 'notBefore'); // no such date: never rolled over to March
    await refused({ ...target, notBefore: '2099-01-01T00:00:00Z' }, 'at most 366 days ahead');
    await refused({ ...target, window: { recurrence: '0 0 31 2 *', duration: '1h', timezone: 'UTC' } }, 'never matches a date');
    // Dry runs validate alike.
    await refused(
      { ...target, dryRun: true, window: { start: '2030-06-02T02:00', end: '2030-06-01T22:00', timezone: 'UTC' } },
      'window.end',
    );

    const bad = await api.post('/maintenance-windows', {
      name: 'bad name!',
      recurrence: '0 2 * * 8',
      duration: '0m',
      timezone: 'Nowhere/City',
    });
    expect(bad.status).toBe(400);
    for (const field of ['name', 'recurrence', 'duration', 'timezone']) expect(JSON.stringify(bad.body)).toContain(`${field}:`);
    const created = await api.post('/maintenance-windows', {
      name: `nightly-${run}`,
      recurrence: '0 22 * * 1-5',
      duration: '3h',
      timezone: 'Europe/Berlin',
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual(
      expect.objectContaining({ name: `nightly-${run}`, duration: '3h', state: expect.objectContaining({ open: expect.any(Boolean) }) }),
    );
    expect(
      (await api.post('/maintenance-windows', { name: `nightly-${run}`, recurrence: '0 1 * * *', duration: '1h', timezone: 'UTC' })).status,
    ).toBe(409);
    const idShaped = await api.post('/maintenance-windows', {
      name: '6f1c2b9e-0000-4000-8000-000000000000',
      recurrence: '0 1 * * *',
      duration: '1h',
      timezone: 'UTC',
    });
    expect(idShaped.status).toBe(400);
    expect((await api.get(`/maintenance-windows/${created.body.id}`)).body.id).toBe(created.body.id);
    // A viewer reads windows but may not create one.
    const listed = await api.get('/maintenance-windows?limit=500');
    expect(listed.body.items.map((w: any) => w.id)).toContain(created.body.id);

    // The plan shows when hosts could start.
    const planned = await api.post('/deployments', {
      ...target,
      dryRun: true,
      window: `nightly-${run}`,
      notBefore: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(planned.status).toBe(200);
    expect(planned.body.schedule).toEqual(
      expect.objectContaining({
        maintenanceWindowId: created.body.id,
        now: expect.objectContaining({ canStart: false, reason: 'not_before' }),
      }),
    );
    // The same from the command line, and a bad --window is bad usage (exit 2).
    const env = { VULNZERO_URL: gateway.url, VULNZERO_TOKEN: (api as any).token };
    const notBefore = new Date(Date.now() + 3_600_000).toISOString();
    const cliPlan = await runCli(
      ['deploy', '--patch', slowPatchId, '--hosts', hosts[0].name, '--window', `nightly-${run}`, '--not-before', notBefore, '--plan'],
      env,
    );
    // Hosts start at notBefore, or at the window's first opening after it (weeknights 22:00 Berlin), whichever is later.
    const from = /schedule: no host would start now \(not_before\); hosts start from (\S+)/.exec(cliPlan.stdout)?.[1];
    expect(Date.parse(from as string)).toBeGreaterThanOrEqual(Date.parse(notBefore));
    expect(cliPlan.code).toBe(0);
    const cliBad = await runCli(['deploy', '--patch', slowPatchId, '--hosts', hosts[0].name, '--window', '{"start":', '--plan'], env);
    expect(cliBad.code).toBe(2);
    expect(cliBad.stderr).toContain('--window');
  });

  it('pauses when the window closes mid-deployment, lets the running host finish, and resumes at the next opening', async () => {
    // Open 6 s out of every 15 s; each host takes about 1.7 s, one at a time: 6 hosts need two openings at least.
    const named = await api.post('/maintenance-windows', {
      name: `every-15s-${run}`,
      recurrence: '*/15 * * * * *',
      duration: '6s',
      timezone: 'UTC',
    });
    expect(named.status).toBe(201);
    const { deploymentId, taskId } = await api.deploy({
      patchId: slowPatchId,
      targets: { hostIds: ids(0, 6) },
      strategy: { type: 'canary', steps: ['100%'], maxParallel: 1 },
      window: `every-15s-${run}`,
    });

    // Watch until it pauses for the window with hosts done and hosts to go.
    let paused: any;
    await waitFor(
      async () => {
        const d = (await api.get(`/deployments/${deploymentId}`)).body;
        const started = d.hosts.filter((h: any) => h.status !== 'pending').length;
        if (d.status === 'paused' && d.pausedReason === 'window_closed' && started > 0) paused = d;
        return Boolean(paused);
      },
      60_000,
      'the deployment to pause for its window after starting hosts',
    );
    expect(paused.resumeAt).toEqual(expect.any(String));
    expect(paused.hosts.some((h: any) => h.status === 'pending')).toBe(true);
    // The step in flight finished its running host: nothing is left mid-command while paused.
    expect(paused.hosts.filter((h: any) => ['capturing', 'applying', 'verifying'].includes(h.status))).toEqual([]);
    const task = (await api.get(`/tasks/${taskId}`)).body;
    expect(task.status).toBe('paused');
    expect(task.resumeAt).toBe(paused.resumeAt);
    // Promote passes gates, not windows.
    const promote = await api.post(`/deployments/${deploymentId}/promote`);
    expect(promote.status).toBe(409);
    expect(promote.body.message).toContain('window_closed');
    // A window in use cannot be deleted.
    expect((await api.delete(`/maintenance-windows/${named.body.id}`)).status).toBe(409);

    expect((await api.waitForTask(taskId, 120_000)).status).toBe('succeeded');
    const done = (await api.get(`/deployments/${deploymentId}`)).body;
    expect(done.hosts.map((h: any) => h.status)).toEqual(Array(6).fill('healthy'));
    // No host started outside an opening (seconds 0-6 of each 15), and at least two openings were used.
    const offsets = done.hosts.map((h: any) => (Date.parse(h.startedAt) % 15_000) / 1000);
    // (A second of slack: the start is recorded by PostgreSQL just after the engine decided, on a machine that may be busy.)
    for (const offset of offsets) expect(offset).toBeLessThan(7);
    const openings = new Set(done.hosts.map((h: any) => Math.floor(Date.parse(h.startedAt) / 15_000)));
    expect(openings.size).toBeGreaterThanOrEqual(2);
    // Each host applied exactly once: pausing and resuming never re-ran a host.
    for (const host of hosts.slice(0, 6)) expect(await fleet.readHostFile(host.fleet, APPLY_LOG)).toBe('applied\n');
    expect((await api.delete(`/maintenance-windows/${named.body.id}`)).status).toBe(204);
  });

  it('holds a deployment until notBefore, and a cancel while it waits ends it without touching a host', async () => {
    const notBefore = new Date(Date.now() + 4_000);
    const { deploymentId, taskId } = await api.deploy({
      patchId: slowPatchId,
      targets: { hostIds: ids(6, 7) },
      notBefore: notBefore.toISOString(),
    });
    await waitFor(
      async () => (await api.get(`/deployments/${deploymentId}`)).body.pausedReason === 'not_before',
      20_000,
      'a not_before pause',
    );
    const waiting = (await api.get(`/deployments/${deploymentId}`)).body;
    expect(waiting).toEqual(
      expect.objectContaining({ status: 'paused', notBefore: notBefore.toISOString(), resumeAt: notBefore.toISOString() }),
    );
    expect((await api.waitForTask(taskId)).status).toBe('succeeded');
    const done = (await api.get(`/deployments/${deploymentId}`)).body;
    expect(Date.parse(done.hosts[0].startedAt)).toBeGreaterThanOrEqual(notBefore.getTime());

    const later = await api.deploy({
      patchId: slowPatchId,
      targets: { hostIds: ids(7, 8) },
      notBefore: new Date(Date.now() + 3_600_000).toISOString(),
    });
    await waitFor(
      async () => (await api.get(`/deployments/${later.deploymentId}`)).body.pausedReason === 'not_before',
      20_000,
      'a not_before pause',
    );
    expect((await api.post(`/deployments/${later.deploymentId}/cancel`)).status).toBe(200);
    expect((await api.waitForTask(later.taskId, 30_000)).status).toBe('cancelled');
    expect((await api.get(`/deployments/${later.deploymentId}`)).body.hosts[0].status).toBe('skipped');
    expect(await fleet.readHostFile(hosts[7].fleet, APPLY_LOG)).toBe('');
  });

  it('ends failed (window_expired) when a one-off window closes for good; a retry in a new window patches only the rest', async () => {
    // The first host takes over 3 s; the window (whole seconds) closes 1.5-2.5 s from now, while it runs.
    const slower = await api.post('/patches', slowPatch(`mw-slower-${run}`, 3));
    expect((await api.post(`/patches/${slower.body.id}/approve`)).status).toBe(200);
    const now = Date.now();
    const { deploymentId, taskId } = await api.deploy({
      patchId: slower.body.id,
      targets: { hostIds: ids(8, 10) },
      strategy: { type: 'canary', steps: ['100%'], maxParallel: 1 },
      window: { start: wall(now - 1_000), end: wall(now + 2_500), timezone: 'UTC' },
    });
    const task = await api.waitForTask(taskId, 60_000);
    expect(task.status).toBe('failed');
    const ended = (await api.get(`/deployments/${deploymentId}`)).body;
    expect(ended.status).toBe('failed');
    expect(ended.error.code).toBe('window_expired');
    expect(ended.hosts.map((h: any) => h.status)).toEqual(['healthy', 'skipped']);
    expect(await fleet.readHostFile(hosts[9].fleet, APPLY_LOG)).toBe('');

    const retried = await api.post(`/deployments/${deploymentId}/retry`, {
      window: { start: wall(Date.now() - 1_000), end: wall(Date.now() + 600_000), timezone: 'UTC' },
    });
    expect(retried.status).toBe(202);
    expect((await api.waitForTask(retried.body.taskId)).status).toBe('succeeded');
    const retry = (await api.get(`/deployments/${retried.body.deploymentId}`)).body;
    expect(retry.hosts.map((h: any) => h.hostId)).toEqual([hosts[9].id]);
    expect(await fleet.readHostFile(hosts[8].fleet, APPLY_LOG)).toBe('applied\n');
    expect(await fleet.readHostFile(hosts[9].fleet, APPLY_LOG)).toBe('applied\n');
  });
});
