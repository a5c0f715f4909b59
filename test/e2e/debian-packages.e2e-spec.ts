// The user's path on REAL Debian 12 hosts (issue #21 §4): real gateway and
// worker processes, PostgreSQL, Redis, and five hosts of test/fleet's
// DebianFleet (own sshd, nginx, dpkg and apt each; a local apt repository with
// several real openssl/libssl3 versions). Scan → findings for openssl → a
// source patch from the finding → canary deploy with an http check on nginx →
// manual rollback after the archive lost the old version → a bad patch whose
// health check fails on one host → automatic rollback from packages rebuilt
// with dpkg-repack. After each rollback, dpkg's own records of the planned
// packages are byte-identical to before and nginx answers.
// Subnet 127.90 belongs to this file.
import * as http from 'node:http';
import { AppProcess, startGateway, startWorker } from '../harness/app-process';
import { ApiClient, TEST_ADMIN } from '../harness/api-client';
import { Client } from 'pg';
import { randomSuffix } from '../harness/test-env';
import { DebianFleet, type DebianHost } from '../fleet/debian-fleet';

jest.setTimeout(600_000);

const fleet = new DebianFleet({ subnet: '127.90' });
const run = randomSuffix();
let gateway: AppProcess;
let worker: AppProcess;
let api: ApiClient;
let hosts: { id: string; name: string; debian: DebianHost }[] = [];
let oldest: string;
let newest: string;
let binaries: string[];
/** Per host: `dpkg-query -W` of the planned packages and their dpkg status entries, before any patch. */
const pristine = new Map<string, { query: string; status: string }>();

async function dpkgState(host: DebianHost): Promise<{ query: string; status: string }> {
  const query = await fleet.rootOk(host, `dpkg-query -W ${binaries.join(' ')}`);
  const status = (await fleet.rootOk(host, 'cat /var/lib/dpkg/status'))
    .split('\n\n')
    .filter((entry) => binaries.some((p) => entry.startsWith(`Package: ${p}\n`)))
    .sort()
    .join('\n\n');
  return { query, status };
}

function httpStatus(address: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: address, port: 80, path, timeout: 5_000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
  });
}

const nginxPid = async (host: DebianHost) => (await fleet.rootOk(host, 'cat /run/nginx.pid')).trim();

async function approved(definition: object): Promise<string> {
  const created = await api.post('/patches', definition);
  if (created.status !== 201) throw new Error(`patch refused: ${created.status} ${JSON.stringify(created.body)}`);
  expect((await api.post(`/patches/${created.body.id}/approve`)).status).toBe(200);
  return created.body.id;
}

async function waitFor(taskId: string, deploymentId: string): Promise<any> {
  return api.waitForTask(taskId, 300_000).catch(async (error: Error) => {
    throw new Error(
      `${error.message}: ${JSON.stringify((await api.get(`/deployments/${deploymentId}`)).body).slice(0, 6000)}\n${worker.logs().slice(-4000)}`,
    );
  });
}

async function scan(): Promise<string> {
  const accepted = await api.post('/scans', { targets: { hostIds: hosts.map((h) => h.id) } });
  expect(accepted.status).toBe(202);
  const task = await api.waitForTask(accepted.body.taskId, 120_000);
  expect(task.status).toBe('succeeded');
  return accepted.body.scanId;
}

const findingsOf = async (hostId: string, status = 'open'): Promise<any[]> =>
  (await api.get(`/findings?hostId=${hostId}&status=${status}&limit=100`)).body.items;

beforeAll(async () => {
  await fleet.start(5);
  const repo = fleet.repo.multi;
  binaries = repo.binaries;
  oldest = repo.versions[0] as string;
  newest = repo.versions[repo.versions.length - 1] as string;
  [gateway, worker] = await Promise.all([startGateway(), startWorker()]);
  api = await new ApiClient(gateway.url).login(TEST_ADMIN.username, TEST_ADMIN.password);
  // Both sudo modes: four hosts log in as a NOPASSWD sudoer, one as a sudoer with a password.
  const nopasswd = await api.post('/credentials', {
    name: `debian-nopasswd-${run}`,
    username: fleet.users.nopasswd.username,
    privateKey: fleet.privateKey,
    become: { method: 'sudo' },
  });
  expect(nopasswd.status).toBe(201);
  const password = await api.post('/credentials', {
    name: `debian-password-${run}`,
    username: fleet.users.password.username,
    privateKey: fleet.privateKey,
    become: { method: 'sudo', password: fleet.users.password.password },
  });
  expect(password.status).toBe(201);
  const bulk = await api.post('/hosts/bulk', {
    hosts: fleet.hosts.map((h, i) => ({
      name: `${run}-${h.name}`,
      address: h.address,
      port: h.port,
      credentialId: i === 4 ? password.body.id : nopasswd.body.id,
      hostKey: h.hostKey,
      labels: { suite: `debian-${run}` },
    })),
  });
  expect(bulk.status).toBe(201);
  hosts = (bulk.body.items as { id: string; name: string }[])
    .map((item) => ({ id: item.id, name: item.name, debian: fleet.host(item.name.slice(run.length + 1)) }))
    .sort((a, b) => a.name.localeCompare(b.name));
  for (const host of hosts) pristine.set(host.id, await dpkgState(host.debian));
  const imported = await fetch(`${gateway.url}/advisories/import`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${(api as unknown as { token: string }).token}` },
    body: JSON.stringify(fleet.osvAdvisories()),
  });
  expect(imported.status).toBeLessThan(300);
}, 900_000);

afterAll(async () => {
  await Promise.all([gateway?.stop(), worker?.stop()]);
  await fleet.stop();
  // Advisories are fleet-wide: the fleet's records (openssl, nginx) would add findings to the
  // file-based hosts other suites scan with exact expectations.
  const db = new Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  try {
    await db.query('DELETE FROM advisories WHERE id = ANY($1)', [fleet.osvAdvisories().map((a) => a.id)]);
  } finally {
    await db.end();
  }
});

describe('package patches on real Debian hosts (gateway + worker + DebianFleet)', () => {
  let patchId: string;
  let deploymentId: string;

  it('scans the real dpkg databases and finds the openssl advisory on every host, for openssl and libssl3', async () => {
    await scan();
    for (const host of hosts) {
      const findings = await findingsOf(host.id);
      const openssl = findings.filter((f) => f.matchedName === 'openssl');
      expect(openssl.map((f) => f.package).sort()).toEqual([...binaries].sort());
      expect(openssl.every((f) => f.installedVersion === oldest && f.fixedVersion === newest)).toBe(true);
    }
  });

  it('deploys the source patch made from a finding as a canary with an http check on nginx: every binary upgraded, nginx restarted by VulnZero', async () => {
    const finding = (await findingsOf(hosts[0]!.id)).find((f) => f.package === 'libssl3');
    const generated = await api.post(`/findings/${finding.id}/patch`);
    expect(generated.status).toBe(201);
    expect(generated.body.patch.package).toEqual({ manager: 'apt', source: 'openssl', version: newest });
    // The operator adds the restart and the health check to what the finding generated.
    patchId = await approved({
      name: `openssl ${newest} ${run}`,
      package: { ...generated.body.patch.package, restart: ['nginx'] },
      healthChecks: [{ type: 'http', port: 80, path: '/health', expectStatus: 200, timeoutSeconds: 20 }],
      timeoutSeconds: 300,
    });
    const pidsBefore = await Promise.all(hosts.map((h) => nginxPid(h.debian)));
    const response = await api.post('/deployments', {
      patchId,
      targets: { labels: { suite: `debian-${run}` } },
      strategy: { type: 'canary', steps: [1, '50%', '100%'], maxParallel: 5, bakeSeconds: 0 },
    });
    expect(response.status).toBe(202);
    deploymentId = response.body.deploymentId;
    const task = await waitFor(response.body.taskId, deploymentId);
    expect(task.status).toBe('succeeded');

    const view = (await api.get(`/deployments/${deploymentId}`)).body;
    for (const [i, host] of hosts.entries()) {
      for (const name of binaries) expect(await fleet.rootOk(host.debian, `dpkg-query -W -f='\${Version}' ${name}`)).toBe(newest);
      // The restart VulnZero ran (the hosts' policy-rc.d stops maintainer scripts from restarting anything).
      expect(await nginxPid(host.debian)).not.toBe(pidsBefore[i]);
      expect(await httpStatus(host.debian.address, '/health')).toBe(200);
      const record = view.hosts.find((h: any) => h.hostId === host.id);
      expect(record.status).toBe('healthy');
      const planned = record.captured.plan as string;
      for (const name of binaries)
        expect(planned).toMatch(
          new RegExp(`^pkg\\t${name}\\t${oldest.replace(/[.+~]/g, '\\$&')}\\t${newest.replace(/[.+~]/g, '\\$&')}\\t`, 'm'),
        );
      expect(record.restartReport.afterApply).toEqual(
        expect.objectContaining({ rebootRequired: expect.any(Boolean), staleProcesses: expect.any(Array) }),
      );
      expect(record.restartReport.afterApply.staleProcesses.filter((p: any) => p.command === 'nginx')).toEqual([]);
      expect(record.output.map((o: any) => o.phase)).toEqual(expect.arrayContaining(['capture', 'apply', 'verify', 'report']));
    }

    // A rescan finds nothing of the advisory left, resolved by this deployment.
    await scan();
    for (const host of hosts) {
      expect((await findingsOf(host.id)).filter((f) => f.matchedName === 'openssl')).toEqual([]);
      const resolved = (await findingsOf(host.id, 'resolved')).filter((f) => f.matchedName === 'openssl');
      expect(resolved.length).toBe(binaries.length);
      expect(resolved.every((f) => f.resolvedByDeploymentId === deploymentId)).toBe(true);
    }
  });

  it('rolls every host back byte-identical after the archive lost the old version', async () => {
    await fleet.removeFromRepo('openssl', oldest);
    await fleet.updateLists();
    expect(await fleet.rootOk(hosts[0]!.debian, 'apt-cache madison openssl')).not.toContain(oldest);
    const response = await api.post(`/deployments/${deploymentId}/rollback`);
    expect(response.status).toBe(202);
    const task = await waitFor(response.body.taskId, deploymentId);
    expect(task.status).toBe('succeeded');
    const view = (await api.get(`/deployments/${deploymentId}`)).body;
    expect(view.status).toBe('rolled_back');
    for (const host of hosts) {
      expect(await dpkgState(host.debian)).toEqual(pristine.get(host.id));
      expect(await httpStatus(host.debian.address, '/health')).toBe(200);
      const record = view.hosts.find((h: any) => h.hostId === host.id);
      expect(record.status).toBe('rolled_back');
      expect(record.restartReport.afterRollback).toEqual(expect.objectContaining({ staleProcesses: expect.any(Array) }));
      const phases = record.output.map((o: any) => o.phase);
      expect(phases).toEqual(expect.arrayContaining(['rollback', 'rollback-report']));
      // The restore's own last check is the proof (every planned package back), not verify.
      expect(phases).not.toContain('rollback-verify');
      expect(record.output.filter((o: any) => o.phase === 'rollback').at(-1).stdout).toContain(
        'every planned package is back at its captured state',
      );
    }
  });

  it('rolls back automatically a bad patch whose health check fails on one host, from packages rebuilt with dpkg-repack', async () => {
    const bad = hosts[3]!;
    await fleet.rootOk(bad.debian, 'touch /etc/vz-broken');
    // One host already has the new version: its plan is empty, and its rollback (nothing to put back)
    // is proven by its packages being at their captured state, not by verify failing.
    const current = hosts[0]!;
    await fleet.rootOk(current.debian, `apt-get install -y ${binaries.map((b) => `${b}=${newest}`).join(' ')} >/dev/null 2>&1`);
    const currentBefore = await dpkgState(current.debian);
    const badPatch = await approved({
      name: `openssl ${newest} bad ${run}`,
      package: { manager: 'apt', source: 'openssl', version: newest, restart: ['nginx'] },
      // Fails only on the marked host, and only while the new version is installed: the rollback cures it.
      healthChecks: [
        { type: 'http', port: 80, path: '/health', expectStatus: 200, timeoutSeconds: 20 },
        {
          type: 'command',
          command: `! { [ -e /etc/vz-broken ] && [ "$(dpkg-query -W -f='\${Version}' openssl)" = '${newest}' ]; }`,
          timeoutSeconds: 3,
        },
      ],
    });
    const response = await api.post('/deployments', {
      patchId: badPatch,
      // In this order: the already-patched host is the canary, the marked host fails in the next step.
      targets: { hostIds: hosts.map((h) => h.id) },
      strategy: { type: 'canary', steps: [1, '100%'], maxParallel: 5, bakeSeconds: 0, autoRollback: true },
    });
    expect(response.status).toBe(202);
    const id = response.body.deploymentId;
    const task = await waitFor(response.body.taskId, id);
    expect(task.status).toBe('failed');
    expect(task.error.code).toBe('rolled_back');
    const view = (await api.get(`/deployments/${id}`)).body;
    expect(view.status).toBe('rolled_back');
    const changed = view.hosts.filter((h: any) => h.rollbackStoredAt !== null);
    expect(changed.length).toBeGreaterThanOrEqual(2);
    for (const record of changed) {
      expect(record.status).toBe('rolled_back');
      // The old version was gone from the archive at capture time: kept by dpkg-repack.
      if (record.hostId !== current.id) expect(record.captured.plan).toMatch(/\trepack\t[0-9a-f]{64}\t/);
    }
    for (const host of hosts) {
      expect(await dpkgState(host.debian)).toEqual(host === current ? currentBefore : pristine.get(host.id));
      expect(await httpStatus(host.debian.address, '/health')).toBe(200);
    }
    const untouched = view.hosts.find((h: any) => h.hostId === current.id);
    expect(untouched.captured.plan).not.toMatch(/^pkg\t/m);
  });
});
