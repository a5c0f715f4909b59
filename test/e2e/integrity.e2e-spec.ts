import { AppProcess, startGateway, startWorker } from '../harness/app-process';
import { ApiClient, TEST_ADMIN } from '../harness/api-client';
import { randomSuffix } from '../harness/test-env';
import { FleetHost, SshFleet } from '../fleet/fleet';
import { breakHealthOn, filePatch } from '../harness/file-patch';

jest.setTimeout(180_000);

// No status without its proof (issue #20 §1): a rollback is claimed only when
// commands ran and verify proved the change gone; an irreversible patch is
// never "rolled back". Real gateway and worker processes, sshd on 127.86.0.x.

const VERSION = 'app/version';
const HEALTH = 'app/health';

/** Breaks the health of `breakHost` (by fleet name) so the deployment aborts. */
function patchBreaking(name: string, breakHost: string, overrides: object = {}) {
  return {
    ...filePatch(name, { extraApply: [breakHealthOn(breakHost)], extraRollback: ['printf ok > "$VZ_STATE_DIR/app/health"'] }),
    ...overrides,
  };
}

describe('integrity of rollback statuses (gateway + worker + sshd fleet)', () => {
  const fleet = new SshFleet({ subnet: '127.86' });
  const run = randomSuffix();
  let gateway: AppProcess;
  let worker: AppProcess;
  let api: ApiClient;
  let hosts: { id: string; name: string; fleet: FleetHost }[] = [];

  beforeAll(async () => {
    await fleet.start(3);
    [gateway, worker] = await Promise.all([startGateway(), startWorker()]);
    api = await new ApiClient(gateway.url).login(TEST_ADMIN.username, TEST_ADMIN.password);
    const credential = await api.post('/credentials', { name: `integrity-${run}`, username: fleet.username, privateKey: fleet.privateKey });
    expect(credential.status).toBe(201);
    const bulk = await api.post('/hosts/bulk', {
      hosts: fleet.hosts.map((h) => ({
        name: `${run}-${h.name}`,
        address: h.address,
        port: h.port,
        credentialId: credential.body.id,
        hostKey: h.hostKey,
      })),
    });
    expect(bulk.status).toBe(201);
    hosts = (bulk.body.items as { id: string; name: string }[])
      .map((item) => ({ id: item.id, name: item.name, fleet: fleet.host(item.name.slice(run.length + 1)) as FleetHost }))
      .sort((a, b) => a.name.localeCompare(b.name));
  });

  beforeEach(async () => {
    await Promise.all(
      fleet.hosts.map(async (h) => {
        await fleet.writeHostFile(h, VERSION, '1.0');
        await fleet.writeHostFile(h, HEALTH, 'ok');
      }),
    );
  });

  afterAll(async () => {
    await Promise.all([gateway?.stop(), worker?.stop()]);
    await fleet.stop();
  });

  it('refuses a patch without rollback commands unless it says it is irreversible, naming rollback', async () => {
    for (const rollback of [undefined, []]) {
      const response = await api.post('/patches', { name: `no-way-back-${run}`, apply: ['true'], ...(rollback ? { rollback } : {}) });
      expect(response.status).toBe(400);
      expect(response.body.message).toEqual(expect.arrayContaining([expect.stringMatching(/^rollback: is required.*irreversible/)]));
    }
    const irreversible = await api.post('/patches', { name: `irreversible-${run}`, apply: ['true'], irreversible: true });
    expect(irreversible.status).toBe(201);
    expect(irreversible.body).toMatchObject({ rollback: [], irreversible: true });
  });

  it('deploys an irreversible patch only with autoRollback false given explicitly', async () => {
    const patchId = await api.approvedPatch({ name: `irr-deploy-${run}`, apply: ['true'], irreversible: true });
    for (const strategy of [undefined, { type: 'all-at-once' }, { type: 'all-at-once', autoRollback: true }]) {
      const response = await api.post('/deployments', { patchId, targets: { hostIds: [hosts[0]!.id] }, ...(strategy ? { strategy } : {}) });
      expect(response.status).toBe(400);
      expect(response.body.message).toEqual(
        expect.arrayContaining([expect.stringContaining('strategy.autoRollback: the patch is irreversible')]),
      );
    }
  });

  it('ends the failed hosts of an irreversible patch failed, never rolled_back, and refuses its rollback with 409', async () => {
    const breakHost = hosts[1]!.fleet.name;
    const { rollback: _rollback, capture: _capture, ...definition } = patchBreaking(`irr-fail-${run}`, breakHost);
    const patchId = await api.approvedPatch({ ...definition, irreversible: true });
    const { deploymentId, taskId } = await api.deploy({
      patchId,
      targets: { hostIds: hosts.slice(0, 2).map((h) => h.id) },
      strategy: { type: 'all-at-once', autoRollback: false },
    });
    const task = await api.waitForTask(taskId, 60_000);
    expect(task.status).toBe('failed');
    const deployment = (await api.get(`/deployments/${deploymentId}`)).body;
    expect(deployment.status).toBe('failed');
    const broken = deployment.hosts.find((h: any) => h.hostId === hosts[1]!.id);
    expect(broken.status).toBe('failed');
    expect(deployment.hosts.map((h: any) => h.status)).not.toContain('rolled_back');
    const rollback = await api.post(`/deployments/${deploymentId}/rollback`);
    expect(rollback.status).toBe(409);
    expect(rollback.body.message).toContain('irreversible');
    expect(await fleet.readHostFile(hosts[1]!.fleet, VERSION)).toBe('2.0');
  });

  it.each([
    {
      name: 'could not run (127)',
      verify: 'grep -qx 2.0 "$VZ_STATE_DIR/app/version" || /nonexistent/vz-verify',
      timeoutSeconds: 30,
      reason: 'verify could not run: exit 127',
    },
    {
      name: 'did not finish in time',
      verify: 'grep -qx 2.0 "$VZ_STATE_DIR/app/version" || sleep 30',
      timeoutSeconds: 3,
      reason: 'verify did not finish in 3 s',
    },
  ])('calls a host rollback_failed, not rolled_back, when its rollback verify $name', async ({ verify, timeoutSeconds, reason }) => {
    const breakHost = hosts[2]!.fleet.name;
    const patchId = await api.approvedPatch(patchBreaking(`verify-${randomSuffix()}`, breakHost, { verify, timeoutSeconds }));
    const { deploymentId, taskId } = await api.deploy({ patchId, targets: { hostIds: [hosts[2]!.id] }, strategy: { type: 'all-at-once' } });
    const task = await api.waitForTask(taskId, 90_000);
    expect(task.status).toBe('failed');
    // The deploy task's error never says rolled_back when a rollback failed.
    expect(task.error.code).toBe('rollback_failed');
    const deployment = (await api.get(`/deployments/${deploymentId}`)).body;
    expect(deployment.status).toBe('rollback_failed');
    expect(deployment.error.code).toBe('rollback_failed');
    const host = deployment.hosts[0];
    expect(host.status).toBe('rollback_failed');
    expect(host.error).toContain(reason);
    // The rollback commands did run: the host is back, only the proof is missing.
    expect(await fleet.readHostFile(hosts[2]!.fleet, VERSION)).toBe('1.0');
  });
});
