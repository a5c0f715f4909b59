import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { AppProcess, startGateway, startWorker } from '../harness/app-process';
import { ApiClient, TEST_ADMIN } from '../harness/api-client';
import { randomSuffix } from '../harness/test-env';
import { SshFleet } from '../fleet/fleet';

jest.setTimeout(180_000);

// A credential's `become` through the real engine (gateway + worker processes,
// PostgreSQL, Redis, sshd on 127.88.2.x, this machine's sudo): created over
// HTTP in both modes, its patch's capture, apply, verify, health check and
// rollback run as root (they write and read a file under /root, which only
// root can), and the sudo password shows up in no answer of the gateway.

describe('become: patch commands as root through sudo (gateway + worker + sshd fleet)', () => {
  const fleet = new SshFleet({ subnet: '127.88.2', become: true });
  const run = randomSuffix();
  let gateway: AppProcess;
  let worker: AppProcess;
  let api: ApiClient;
  const rootFile = (mode: string) => `/root/vz-become-e2e-${run}-${mode}`;

  function rootPatch(mode: string) {
    const file = rootFile(mode);
    return {
      name: `become-${mode}-${run}`,
      capture: { before: `if [ -e '${file}' ]; then cat '${file}'; else echo none; fi` },
      apply: [`id -u > '${file}'`],
      rollback: [`rm -f '${file}'`],
      verify: `test "$(cat '${file}')" = 0`,
      // /root is writable by root only (the check also runs after the rollback, when the file is gone).
      healthChecks: [{ type: 'command', command: 'test -w /root && test "$(id -u)" = 0', timeoutSeconds: 5 }],
      timeoutSeconds: 30,
    };
  }

  beforeAll(async () => {
    await fleet.start(2);
    gateway = await startGateway();
    worker = await startWorker();
    api = await new ApiClient(gateway.url).login(TEST_ADMIN.username, TEST_ADMIN.password);
  });

  afterAll(async () => {
    await Promise.all([gateway?.stop(), worker?.stop()]);
    await fleet.stop();
    for (const mode of ['nopasswd', 'password']) rmSync(rootFile(mode), { force: true });
  });

  it('refuses a become with another method or an unusable password, naming the field', async () => {
    const base = { username: fleet.becomeUsers.nopasswd, privateKey: fleet.privateKey };
    const cases: [object, RegExp][] = [
      [{ method: 'su' }, /^become\.method: must be "sudo"$/],
      [{ method: 'sudo', password: 'SECRET\nrm -rf /' }, /^become\.password: must not contain NUL, CR or LF$/],
      [{ method: 'sudo', password: '' }, /^become\.password: must not be empty/],
      [{ method: 'sudo', password: 'x'.repeat(1025) }, /^become\.password: must be at most 1024 bytes$/],
      [{ method: 'sudo', user: 'root' }, /^become\.user: property user should not exist$/],
    ];
    for (const [become, message] of cases) {
      const response = await api.post('/credentials', { ...base, name: `bad-become-${run}`, become });
      expect({ become, status: response.status }).toEqual({ become, status: 400 });
      expect(response.body.message).toEqual([expect.stringMatching(message)]);
      expect(JSON.stringify(response.body)).not.toContain('SECRET');
    }
    for (const become of ['sudo', ['sudo']]) {
      const notObject = await api.post('/credentials', { ...base, name: `bad-become-${run}`, become });
      expect(notObject.status).toBe(400);
      expect(notObject.body.message).toEqual([
        expect.stringMatching(/^become(\.0)?: must be an object \{"method": "sudo", "password"\?\}$/),
      ]);
    }
  });

  it('documents become in the OpenAPI document: the password write-only, the view saying only whether one is set', async () => {
    const { schemas } = (await new ApiClient(gateway.url).get('/docs-json')).body.components;
    expect(schemas.CreateCredentialDto.properties.become.allOf).toEqual([{ $ref: '#/components/schemas/CredentialBecomeDto' }]);
    expect(schemas.CredentialBecomeDto.properties.method.enum).toEqual(['sudo']);
    expect(schemas.CredentialBecomeDto.properties.password).toEqual(expect.objectContaining({ type: 'string', writeOnly: true }));
    expect(schemas.CredentialBecomeDto.required).toEqual(['method']);
    expect(schemas.CredentialBecomeViewDto.properties.password.type).toBe('boolean');
  });

  it.each([
    { mode: 'nopasswd', host: 0 },
    { mode: 'password', host: 1 },
  ])('deploys and rolls back as root with a $mode become credential, never showing the password', async ({ mode, host: hostIndex }) => {
    const users = fleet.becomeUsers;
    const password = mode === 'password' ? users.password.password : undefined;
    const credential = await api.post('/credentials', {
      name: `become-${mode}-${run}`,
      username: mode === 'password' ? users.password.username : users.nopasswd,
      privateKey: fleet.privateKey,
      become: { method: 'sudo', ...(password ? { password } : {}) },
    });
    expect(credential.status).toBe(201);
    expect(credential.body.become).toEqual({ method: 'sudo', password: mode === 'password' });
    const fetched = await api.get(`/credentials/${credential.body.id}`);
    expect(fetched.body.become).toEqual({ method: 'sudo', password: mode === 'password' });
    const fleetHost = fleet.hosts[hostIndex]!;
    const host = await api.post('/hosts', {
      name: `become-${mode}-${run}`,
      address: fleetHost.address,
      port: fleetHost.port,
      credentialId: credential.body.id,
      hostKey: fleetHost.hostKey,
    });
    expect(host.status).toBe(201);

    const patch = await api.post('/patches', rootPatch(mode));
    expect(patch.status).toBe(201);
    expect((await api.post(`/patches/${patch.body.id}/approve`)).status).toBe(200);
    const started = await api.post('/deployments', {
      patchId: patch.body.id,
      targets: { hostIds: [host.body.id] },
      strategy: { type: 'all-at-once' },
    });
    expect(started.status).toBe(202);
    await api.waitForTask(started.body.taskId, 120_000);
    const deployment = (await api.get(`/deployments/${started.body.deploymentId}`)).body;
    expect({ status: deployment.status, host: deployment.hosts[0].status, error: deployment.hosts[0].error }).toEqual({
      status: 'succeeded',
      host: 'healthy',
      error: null,
    });
    expect(deployment.hosts[0].captured).toEqual({ before: 'none' });
    const file = rootFile(mode);
    expect(readFileSync(file, 'utf8')).toBe('0\n');
    expect(statSync(file).uid).toBe(0);

    const rollback = await api.post(`/deployments/${started.body.deploymentId}/rollback`);
    expect(rollback.status).toBe(202);
    await api.waitForTask(rollback.body.taskId, 120_000);
    const rolledBack = (await api.get(`/deployments/${started.body.deploymentId}`)).body;
    expect(rolledBack.hosts[0].status).toBe('rolled_back');
    expect(existsSync(file)).toBe(false);

    if (password) {
      const answers = [
        credential.body,
        fetched.body,
        (await api.get('/credentials?limit=200')).body,
        rolledBack,
        (await api.get('/audit?limit=500')).body,
      ];
      for (const answer of answers) expect(JSON.stringify(answer)).not.toContain(password);
      for (const log of [gateway.logs(), worker.logs()]) expect(log).not.toContain(password);
    }
  });
});
