// Abuse has limits, over the real gateway (and worker): failed logins per
// address, per /64, per username (a delay, never a lock), invalid tokens per
// address, live streams per caller and per gateway, and HOST_NETWORKS at
// registration, at trust and at connect. Subnet 127.82 belongs to this file
// (127.82.0.250 stays silent).
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SshFleet } from '../fleet/fleet';
import { AppProcess, startGateway, startWorker } from '../harness/app-process';
import { ApiClient, ApiResponse, TEST_ADMIN } from '../harness/api-client';
import { randomSuffix } from '../harness/test-env';

jest.setTimeout(240_000);

const fleet = new SshFleet({ subnet: '127.82' });
const SILENT_ADDRESS = '127.82.0.250';

const byte = () => 1 + ((randomBytes(1)[0] as number) % 250);
/** A client address of its own for each test: counters of earlier runs live a minute in Redis. */
const anAddress = () => `10.${byte()}.${byte()}.${byte()}`;
const hextet = () => randomBytes(2).toString('hex');

function from(address: string): Record<string, string> {
  return { 'x-forwarded-for': address };
}

function expectRefusedWith429(response: ApiResponse): void {
  expect({ status: response.status, body: response.body }).toEqual({
    status: 429,
    body: expect.objectContaining({ statusCode: 429, requestId: expect.any(String) }),
  });
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
}

const stopAll = (processes: (AppProcess | undefined)[]) => Promise.all(processes.map((p) => p?.stop()));

let open: AppProcess;
let admin: ApiClient;

beforeAll(async () => {
  await fleet.start(2);
  open = await startGateway();
  admin = await new ApiClient(open.url).login(TEST_ADMIN.username, TEST_ADMIN.password);
});

afterAll(async () => {
  await open?.stop();
  await fleet.stop();
});

describe('failed logins', () => {
  let gateway: AppProcess;
  let anonymous: ApiClient;
  const attempt = (address: string, username: string, password = 'wrong-password-guess') =>
    anonymous.post('/auth/login', { username, password }, from(address));

  beforeAll(async () => {
    gateway = await startGateway({
      TRUST_PROXY: 'true',
      LOGIN_RATE_LIMIT_PER_MINUTE: '100',
      LOGIN_ADDRESS_FAILURES_PER_MINUTE: '5',
      LOGIN_USERNAME_FREE_FAILURES: '3',
      LOGIN_USERNAME_MAX_DELAY_SECONDS: '2',
    });
    anonymous = new ApiClient(gateway.url);
  });

  afterAll(() => stopAll([gateway]));

  it('refuses the sixth failed login from one address rotating usernames with 429, while another address still gets its 401', async () => {
    const address = anAddress();
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await attempt(address, `rotating-${i}-${randomSuffix()}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    expectRefusedWith429(await attempt(address, `rotating-5-${randomSuffix()}`));
    expect((await attempt(anAddress(), `rotating-other-${randomSuffix()}`)).status).toBe(401);
  });

  it('counts an IPv6 client per /64: rotating addresses inside one /64 is one client, the next /64 is another', async () => {
    const prefix = `2001:db8:${hextet()}:${hextet()}`;
    const statuses = [];
    for (let i = 1; i <= 5; i++) statuses.push((await attempt(`${prefix}::${i}`, `v6-${i}-${randomSuffix()}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    expectRefusedWith429(await attempt(`${prefix}:ffff:ffff:ffff:ffff`, `v6-6-${randomSuffix()}`));
    expect((await attempt(`2001:db8:${hextet()}:${hextet()}::1`, `v6-other-${randomSuffix()}`)).status).toBe(401);
  });

  it('slows guessing one username from many addresses with a growing delay, yet lets the right password in from another address once the delay has passed', async () => {
    const username = `slowed-${randomSuffix()}`;
    const password = `Quiet-Meadow-${randomSuffix()}-Lamp`;
    expect((await admin.post('/users', { username, password, role: 'viewer' })).status).toBe(201);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await attempt(anAddress(), username)).status);
    expect(statuses).toEqual([401, 401, 401]);
    // The fourth guess, from yet another address, must wait: a delay, not a verdict on the password.
    const slowed = await attempt(anAddress(), username);
    expectRefusedWith429(slowed);
    expect(String(slowed.body.message)).toMatch(/username/);
    // Even the right password waits out the delay (else the delay would tell a guess apart)...
    expect((await attempt(anAddress(), username, password)).status).toBe(429);
    // ...and gets in once it has passed: never longer than LOGIN_USERNAME_MAX_DELAY_SECONDS.
    const retryAfter = Number(slowed.headers.get('retry-after'));
    expect(retryAfter).toBeLessThanOrEqual(2);
    await sleep(retryAfter * 1000 + 200);
    const success = await attempt(anAddress(), username, password);
    expect(success.status).toBe(200);
    expect(success.body.accessToken).toEqual(expect.any(String));
  });
});

describe('invalid tokens', () => {
  let gateway: AppProcess;

  beforeAll(async () => {
    gateway = await startGateway({ TRUST_PROXY: 'true', INVALID_TOKEN_LIMIT_PER_MINUTE: '3' });
  });

  afterAll(() => stopAll([gateway]));

  it('refuses an address that sent too many invalid API keys or tokens with 429, while another address still gets 401', async () => {
    const address = anAddress();
    const guess = (token: string, client = address) =>
      fetch(`${gateway.url}/tasks?limit=1`, { headers: { authorization: `Bearer ${token}`, ...from(client) } });
    const aKey = () => `vz_${randomBytes(32).toString('base64url')}`;
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await guess(aKey())).status);
    expect(statuses).toEqual([401, 401, 401]);
    const refused = await guess(aKey());
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // A forged JWT from the same address meets the same limit.
    expect((await guess('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl')).status).toBe(429);
    expect((await guess(aKey(), anAddress())).status).toBe(401);
  });
});

describe('live streams', () => {
  let gateway: AppProcess;
  const streams: AbortController[] = [];

  beforeAll(async () => {
    gateway = await startGateway({ SSE_STREAMS_PER_CALLER: '2', SSE_STREAMS_PER_GATEWAY: '3' });
  });

  afterAll(async () => {
    for (const stream of streams) stream.abort();
    await stopAll([gateway]);
  });

  it('caps the streams a caller holds and the streams a gateway holds (429 beyond), and frees a slot when a stream closes', async () => {
    const credential = await admin.post('/credentials', {
      name: `sse-${randomSuffix()}`,
      username: fleet.username,
      privateKey: fleet.privateKey,
    });
    const host = await admin.post('/hosts', {
      name: `sse-${randomSuffix()}`,
      address: fleet.hosts[0]!.address,
      port: fleet.hosts[0]!.port,
      credentialId: credential.body.id,
      hostKey: fleet.hosts[0]!.hostKey,
    });
    expect(host.status).toBe(201);
    // No worker runs here: the scan's task stays queued and its event stream stays open.
    const scan = await admin.post('/scans', { targets: { hostIds: [host.body.id] } });
    expect(scan.status).toBe(202);
    const keyFor = async () => (await admin.post('/api-keys', { name: `sse-${randomSuffix()}`, role: 'viewer' })).body.key as string;
    const [first, second] = [await keyFor(), await keyFor()];
    const follow = async (key: string) => {
      const controller = new AbortController();
      streams.push(controller);
      const response = await fetch(`${gateway.url}/tasks/${scan.body.taskId}/events`, {
        headers: { authorization: `Bearer ${key}` },
        signal: controller.signal,
      });
      if (response.status !== 200) controller.abort();
      return { status: response.status, retryAfter: response.headers.get('retry-after'), controller };
    };

    const [a1, a2] = [await follow(first), await follow(first)];
    expect([a1.status, a2.status]).toEqual([200, 200]);
    const a3 = await follow(first);
    expect(a3.status).toBe(429);
    expect(Number(a3.retryAfter)).toBeGreaterThan(0);
    expect((await follow(second)).status).toBe(200);
    // Three open on the gateway: another caller is refused too.
    expect((await follow(second)).status).toBe(429);
    a1.controller.abort();
    let again = 0;
    for (let i = 0; i < 20 && again !== 200; i++) {
      await sleep(100);
      again = (await follow(second)).status;
    }
    expect(again).toBe(200);
  });
});

describe('HOST_NETWORKS', () => {
  let restricted: AppProcess;
  let worker: AppProcess;
  let credentialId: string;

  beforeAll(async () => {
    restricted = await startGateway({ HOST_NETWORKS: '10.0.0.0/8,127.82.0.0/16,!127.82.0.200/29' });
    const credential = await admin.post('/credentials', {
      name: `nets-${randomSuffix()}`,
      username: fleet.username,
      privateKey: fleet.privateKey,
    });
    credentialId = credential.body.id;
  });

  afterAll(() => stopAll([restricted, worker]));

  const hostAt = (address: string, extra: Record<string, unknown> = {}) => ({
    name: `nets-${randomSuffix()}`,
    address,
    port: 2222,
    credentialId,
    ...extra,
  });

  it('refuses to register a host at the cloud metadata address by default (400 naming address)', async () => {
    const response = await admin.post('/hosts', hostAt('169.254.169.254'));
    expect(response.status).toBe(400);
    expect(response.body.message).toEqual([expect.stringMatching(/^address: 169\.254\.169\.254 is in 169\.254\.0\.0\/16/)]);
  });

  it('checks the resolved address of a name, in bulk and on PATCH too', async () => {
    const client = await new ApiClient(restricted.url).login(TEST_ADMIN.username, TEST_ADMIN.password);
    const byName = await client.post('/hosts', hostAt('localhost'));
    expect(byName.status).toBe(400);
    expect(byName.body.message).toEqual([expect.stringMatching(/^address: localhost resolves to 127\.0\.0\.1 is outside HOST_NETWORKS/)]);
    const bulk = await client.post('/hosts/bulk', { hosts: [hostAt('127.82.0.1'), hostAt('127.82.0.201')] });
    expect(bulk.status).toBe(400);
    expect(bulk.body.message).toEqual([expect.stringMatching(/^hosts\[1\]\.address: 127\.82\.0\.201 is in 127\.82\.0\.200\/29/)]);
    const created = await client.post('/hosts', hostAt('127.82.0.1'));
    expect(created.status).toBe(201);
    const moved = await client.patch(`/hosts/${created.body.id}`, { address: '127.0.0.1' });
    expect(moved.status).toBe(400);
    expect(moved.body.message).toEqual([expect.stringMatching(/^address: 127\.0\.0\.1 is outside HOST_NETWORKS/)]);
  });

  it('refuses to trust a host whose address left HOST_NETWORKS since it was registered, sending it nothing', async () => {
    // Registered through a gateway with the default networks, then trusted through the restricted one.
    const host = await admin.post('/hosts', hostAt('127.0.0.1'));
    expect(host.status).toBe(201);
    const client = await new ApiClient(restricted.url).login(TEST_ADMIN.username, TEST_ADMIN.password);
    const response = await client.post(`/hosts/${host.body.id}/host-key/trust`, {});
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ reason: 'address_not_allowed', field: 'address' });
  });

  it('tells why trust failed in words, never in socket text: refused, not an SSH server', async () => {
    const refusedHost = await admin.post('/hosts', hostAt(SILENT_ADDRESS));
    const refused = await admin.post(`/hosts/${refusedHost.body.id}/host-key/trust`, {});
    expect(refused.status).toBe(502);
    expect(refused.body).toMatchObject({ reason: 'refused', message: expect.stringMatching(/connection was refused/) });
    // The gateway's own HTTP port answers, but not in SSH.
    const httpPort = Number(new URL(open.url).port);
    const notSsh = await admin.post('/hosts', hostAt('127.0.0.1', { port: httpPort }));
    const answered = await admin.post(`/hosts/${notSsh.body.id}/host-key/trust`, {});
    expect(answered.status).toBe(502);
    expect(answered.body).toMatchObject({ reason: 'not_ssh', message: expect.stringMatching(/does not speak SSH/) });
    for (const body of [refused.body, answered.body])
      expect(JSON.stringify(body)).not.toMatch(/ECONN|127\.0\.0\.1:|127\.82\.0\.250:|Connection lost/);
  });

  it('refuses to connect at scan time to a host outside the worker’s HOST_NETWORKS: the host fails with address_not_allowed', async () => {
    worker = await startWorker({ HOST_NETWORKS: '10.0.0.0/8' });
    const fleetHost = fleet.hosts[1]!;
    const host = await admin.post('/hosts', hostAt(fleetHost.address, { hostKey: fleetHost.hostKey, port: fleetHost.port }));
    expect(host.status).toBe(201);
    const scan = await admin.post('/scans', { targets: { hostIds: [host.body.id] } });
    expect(scan.status).toBe(202);
    await admin.waitForTask(scan.body.taskId, 60_000);
    const view = (await admin.get(`/scans/${scan.body.scanId}`)).body;
    expect(view.hosts).toEqual([
      expect.objectContaining({ errorCode: 'address_not_allowed', error: expect.stringMatching(/outside HOST_NETWORKS/) }),
    ]);
  });
});

describe('deployment output', () => {
  let worker: AppProcess;

  beforeAll(async () => {
    worker = await startWorker();
  });

  afterAll(() => stopAll([worker]));

  it('keeps the last 4 KiB of each stream per command in GET /deployments/:id, and the whole bounded output a page at a time at the host output route', async () => {
    const fleetHost = fleet.hosts[0]!;
    const credential = await admin.post('/credentials', {
      name: `out-${randomSuffix()}`,
      username: fleet.username,
      privateKey: fleet.privateKey,
    });
    const host = await admin.post('/hosts', {
      name: `out-${randomSuffix()}`,
      address: fleetHost.address,
      port: fleetHost.port,
      credentialId: credential.body.id,
      hostKey: fleetHost.hostKey,
    });
    expect(host.status).toBe(201);
    const patch = await admin.post('/patches', {
      name: `loud-${randomSuffix()}`,
      apply: ['head -c 10000 /dev/zero | tr "\\0" a; echo; echo END-OF-APPLY'],
      rollback: ['true'],
      verify: 'true',
    });
    expect(patch.status).toBe(201);
    expect((await admin.post(`/patches/${patch.body.id}/approve`)).status).toBe(200);
    const accepted = await admin.post('/deployments', {
      patchId: patch.body.id,
      targets: { hostIds: [host.body.id] },
      strategy: { type: 'all-at-once' },
    });
    expect(accepted.status).toBe(202);
    expect((await admin.waitForTask(accepted.body.taskId, 90_000)).status).toBe('succeeded');

    const deployment = (await admin.get(`/deployments/${accepted.body.deploymentId}`)).body;
    const apply = deployment.hosts[0].output.find((record: any) => record.phase === 'apply');
    expect(apply).toEqual(
      expect.objectContaining({ exitCode: 0, durationMs: expect.any(Number), at: expect.any(String), stdoutCut: true, stderrCut: false }),
    );
    expect(Buffer.byteLength(apply.stdout)).toBe(4096);
    expect(apply.stdout.endsWith('END-OF-APPLY\n')).toBe(true);

    const route = `/deployments/${accepted.body.deploymentId}/hosts/${host.body.id}/output`;
    const records: any[] = [];
    let cursor: string | null = null;
    do {
      const page: ApiResponse = await admin.get(`${route}?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.output.length).toBeLessThanOrEqual(1);
      records.push(...page.body.output);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(records.length).toBe(deployment.hosts[0].output.length);
    const whole = records.find((record) => record.phase === 'apply');
    expect(whole.stdout).toBe(`${'a'.repeat(10_000)}\nEND-OF-APPLY\n`);
    const bad = await admin.get(`${route}?cursor=abc`);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toEqual([expect.stringMatching(/^cursor: /)]);
  });
});
