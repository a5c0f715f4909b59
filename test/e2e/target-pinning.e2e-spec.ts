import { readFile, writeFile } from 'node:fs/promises';
import { createServer, Server } from 'node:net';
import { Client } from 'pg';
import { AppProcess, startGateway, startWorker, waitFor } from '../harness/app-process';
import { ApiClient, TEST_ADMIN } from '../harness/api-client';
import { RegisteredHost, registerFleetHosts } from '../harness/fleet-hosts';
import { randomSuffix } from '../harness/test-env';
import { FleetHost, SshFleet } from '../fleet/fleet';

jest.setTimeout(240_000);

// The machine a deployment patched is the machine it rolls back: targets are
// pinned (resolved address, port, host key, credential) when the deployment
// is created, and the inventory refuses to move a host a live deployment
// holds. Real gateway, worker and sshd on 127.84.0.x; a DNS name is mapped
// to a fleet address in /etc/hosts (CI runs as root, as the fleet needs).

const VERSION = 'app/version';
const APPLY_LOG = 'app/apply.log';
const FAIL_APPLY = 'app/fail-apply';
const HOSTS_FILE = '/etc/hosts';

/** Points `name` at `address` in /etc/hosts (what every process's resolver reads), or removes it. */
async function mapName(name: string, address: string | null): Promise<void> {
  const lines = (await readFile(HOSTS_FILE, 'utf8')).split('\n').filter((line) => line !== '' && !line.endsWith(` ${name}`));
  if (address) lines.push(`${address} ${name}`);
  await writeFile(HOSTS_FILE, `${lines.join('\n')}\n`);
}

function loggingPatch(name: string, probePort: number) {
  return {
    name,
    capture: { previous: 'cat "$VZ_STATE_DIR/app/version"' },
    apply: [
      'test "$(cat "$VZ_STATE_DIR/app/fail-apply" 2>/dev/null)" != yes',
      'printf %s 2.0 > "$VZ_STATE_DIR/app/version"',
      'echo apply >> "$VZ_STATE_DIR/app/apply.log"',
    ],
    rollback: ['printf %s {{previous}} > "$VZ_STATE_DIR/app/version"', 'echo rollback >> "$VZ_STATE_DIR/app/apply.log"'],
    verify: 'grep -qx 2.0 "$VZ_STATE_DIR/app/version"',
    // From the worker to the host's address, as a load balancer would.
    healthChecks: [{ type: 'tcp', port: probePort, timeoutSeconds: 2 }],
    timeoutSeconds: 30,
  };
}

describe('target pinning: a deployment keeps the hosts it started with (gateway + worker + sshd fleet)', () => {
  const fleet = new SshFleet({ subnet: '127.84' });
  const run = randomSuffix();
  const dnsName = `vz-pin-${run}.test`;
  let gateway: AppProcess;
  let worker: AppProcess;
  let api: ApiClient;
  let db: Client;
  let credentialId: string;
  let hosts: RegisteredHost[] = [];
  /** What the tcp health check reaches: listening only on the addresses named in `listenOn`. */
  const probes: Server[] = [];
  let probePort = 0;

  const fleetHost = (n: number) => fleet.host(`fleet-00${n}`) as FleetHost;
  const registered = (n: number) => hosts.find((h) => h.fleet.name === `fleet-00${n}`) as RegisteredHost;

  async function deployPaused(patchId: string, hostIds: string[]) {
    const response = await api.post('/deployments', {
      patchId,
      targets: { hostIds },
      strategy: { type: 'canary', steps: [hostIds.length - 1, '100%'], maxParallel: 2, maxFailures: 0, pauseAfterStep: [0] },
    });
    if (response.status !== 202) throw new Error(`deploy refused: ${response.status} ${JSON.stringify(response.body)}`);
    const { deploymentId, taskId } = response.body as { deploymentId: string; taskId: string };
    await waitFor(
      async () => (await api.get(`/deployments/${deploymentId}`)).body.status === 'paused',
      90_000,
      'the deployment to pause at its gate',
    );
    return { deploymentId, taskId };
  }

  async function listenOn(address: string): Promise<void> {
    const server = createServer((socket) => socket.end());
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(probePort, address, resolve));
    probePort = (server.address() as { port: number }).port;
    probes.push(server);
  }

  beforeAll(async () => {
    await fleet.start(7);
    // One after the other: on a loaded machine two cold starts at once can miss their deadline.
    gateway = await startGateway();
    worker = await startWorker();
    api = await new ApiClient(gateway.url).login(TEST_ADMIN.username, TEST_ADMIN.password);
    ({ credentialId, hosts } = await registerFleetHosts(api, fleet, run, { suite: `pin-${run}` }));
    db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    // The tcp health check passes on every host but 2 and 4, where a redirect would lead.
    for (const n of [1, 3, 5, 6, 7]) await listenOn(fleetHost(n).address);
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
    await mapName(dnsName, null).catch(() => undefined);
    await Promise.all(probes.map((p) => new Promise((resolve) => p.close(resolve))));
    await db?.end();
    await Promise.all([gateway?.stop(), worker?.stop()]);
    await fleet.stop();
  });

  it('refuses to move, re-key, re-credential, delete or re-trust a host, or delete its credential, while a deployment holds it: 409 naming the deployment', async () => {
    const patchId = await api.approvedPatch(loggingPatch(`guard-${run}`, probePort));
    const held = registered(6);
    const { deploymentId, taskId } = await deployPaused(patchId, [held.id, registered(7).id]);
    const other = await api.post('/credentials', { name: `${run}-other-key`, username: fleet.username, privateKey: fleet.privateKey });
    expect(other.status).toBe(201);

    const refusals = {
      address: await api.patch(`/hosts/${held.id}`, { address: fleetHost(2).address }),
      port: await api.patch(`/hosts/${held.id}`, { port: 2223 }),
      hostKey: await api.patch(`/hosts/${held.id}`, { hostKey: fleetHost(2).hostKey }),
      credential: await api.patch(`/hosts/${held.id}`, { credentialId: other.body.id }),
      deleteHost: await api.delete(`/hosts/${held.id}`),
      trust: await api.post(`/hosts/${held.id}/host-key/trust`, {}),
      deletePendingHost: await api.delete(`/hosts/${registered(7).id}`),
      deleteCredential: await api.delete(`/credentials/${credentialId}`),
    };
    for (const [what, response] of Object.entries(refusals)) {
      expect({ what, status: response.status }).toEqual({ what, status: 409 });
      expect({ what, message: response.body.message }).toEqual({ what, message: expect.stringContaining(deploymentId) });
      expect({ what, deploymentId: response.body.deploymentId }).toEqual({ what, deploymentId });
    }
    // Nothing moved, and what does not touch the connection still changes.
    const row = (await api.get(`/hosts/${held.id}`)).body;
    expect(row).toEqual(
      expect.objectContaining({ address: held.fleet.address, port: held.fleet.port, hostKey: held.fleet.hostKey, credentialId }),
    );
    const relabelled = await api.patch(`/hosts/${held.id}`, { labels: { suite: `pin-${run}`, note: 'relabelled' } });
    expect(relabelled.status).toBe(200);
    expect((await api.patch(`/hosts/${held.id}`, { address: held.fleet.address, port: held.fleet.port })).status).toBe(200);

    // Once the deployment is over, the host is the inventory's again.
    expect((await api.post(`/deployments/${deploymentId}/cancel`)).status).toBe(200);
    await api.waitForTask(taskId);
    const moved = await api.patch(`/hosts/${registered(7).id}`, { port: 2223 });
    expect(moved.status).toBe(200);
    expect((await api.patch(`/hosts/${registered(7).id}`, { port: 2222, hostKey: registered(7).fleet.hostKey })).status).toBe(200);
    expect((await api.delete(`/credentials/${other.body.id}`)).status).toBe(204);
  });

  it('rolls back the very machines it patched when the name now resolves elsewhere and the host row was moved behind its back; a retry pins afresh', async () => {
    const [a, b, c, d, e] = [1, 2, 3, 4, 5].map(fleetHost) as [FleetHost, FleetHost, FleetHost, FleetHost, FleetHost];
    await mapName(dnsName, a.address);
    const byName = await api.post('/hosts', { name: `${run}-a-dns`, address: dnsName, port: a.port, credentialId, hostKey: a.hostKey });
    expect(byName.status).toBe(201);
    const patchId = await api.approvedPatch(loggingPatch(`pin-${run}`, probePort));
    // Host 5 fails its apply in the second step: the deployment rolls back every host it changed.
    await fleet.writeHostFile(e, FAIL_APPLY, 'yes');
    const byIp = registered(3);
    const { deploymentId, taskId } = await deployPaused(patchId, [byName.body.id, byIp.id, registered(5).id]);

    const paused = (await api.get(`/deployments/${deploymentId}`)).body;
    expect(paused.hosts.map((h: any) => h.status)).toEqual(['healthy', 'healthy', 'pending']);
    expect(await fleet.readHostFile(a, APPLY_LOG)).toBe('apply\n');

    // The name now resolves to host 2; the IP host's row is rewritten to host 4
    // (address and key) without the API, as a race or a hand edit would.
    await mapName(dnsName, b.address);
    await db.query(`UPDATE hosts SET address = $2, host_key = $3 WHERE id = $1`, [byIp.id, d.address, d.hostKey]);

    expect((await api.post(`/deployments/${deploymentId}/promote`)).status).toBe(200);
    const task = await api.waitForTask(taskId);
    const done = (await api.get(`/deployments/${deploymentId}`)).body;
    expect({ task: task.status, deployment: done.status, hosts: done.hosts.map((h: any) => [h.hostName, h.status, h.error]) }).toEqual({
      task: 'failed',
      deployment: 'rolled_back',
      hosts: [
        [`${run}-a-dns`, 'rolled_back', null],
        [byIp.name, 'rolled_back', null],
        [registered(5).name, 'rolled_back', expect.any(String)],
      ],
    });
    // Rolled back where it was applied; nothing ran on the machines the name and the row now point at.
    expect(await fleet.readHostFile(a, APPLY_LOG)).toBe('apply\nrollback\n');
    expect(await fleet.readHostFile(c, APPLY_LOG)).toBe('apply\nrollback\n');
    expect(await fleet.readHostFile(a, VERSION)).toBe('1.0');
    expect(await fleet.readHostFile(b, APPLY_LOG)).toBe('');
    expect(await fleet.readHostFile(d, APPLY_LOG)).toBe('');
    // What it pinned, as the deployment shows it.
    const pinned = Object.fromEntries(done.hosts.map((h: any) => [h.hostId, h]));
    expect(pinned[byName.body.id]).toEqual(expect.objectContaining({ address: dnsName, resolvedAddress: a.address, port: a.port }));
    expect(pinned[byIp.id]).toEqual(expect.objectContaining({ address: c.address, resolvedAddress: c.address }));

    // A retry is a new deployment: it pins what the inventory says now (the row at host 4, the name at host 1 again).
    await fleet.writeHostFile(e, FAIL_APPLY, 'no');
    await mapName(dnsName, a.address);
    await listenOn(d.address);
    const retried = await api.post(`/deployments/${deploymentId}/retry`, { strategy: { type: 'all-at-once' } });
    expect(retried.status).toBe(202);
    await api.waitForTask(retried.body.taskId);
    const second = (await api.get(`/deployments/${retried.body.deploymentId}`)).body;
    expect({ status: second.status, errors: second.hosts.map((h: any) => h.error) }).toEqual({
      status: 'succeeded',
      errors: [null, null, null],
    });
    expect(second.hosts.find((h: any) => h.hostId === byIp.id)).toEqual(
      expect.objectContaining({ address: d.address, resolvedAddress: d.address }),
    );
    expect(await fleet.readHostFile(d, APPLY_LOG)).toBe('apply\n');
    expect(await fleet.readHostFile(c, APPLY_LOG)).toBe('apply\nrollback\n');
    expect(await fleet.readHostFile(a, APPLY_LOG)).toBe('apply\nrollback\napply\n');
  });
});
