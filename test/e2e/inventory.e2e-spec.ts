// The inventory over HTTP, as an operator drives it: credentials sealed at
// rest, hosts with labels and pages, bulk registration, and operator-approved
// trust of host keys against a real sshd fleet. Subnet 127.63 belongs to this file.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostKeyMismatchError, SshConnector } from '@vulnzero/ssh';
import { SshFleet } from '../fleet/fleet';
import { AppProcess, startGateway } from '../harness/app-process';
import { ApiClient, ApiResponse, TEST_ADMIN } from '../harness/api-client';
import { randomSuffix } from '../harness/test-env';

jest.setTimeout(120_000);

const fleet = new SshFleet({ subnet: '127.63' });
const connector = new SshConnector();
const keysDir = mkdtempSync(join(tmpdir(), 'vz-inventory-keys-'));
const PASSPHRASE = `Amber-Lantern-${randomSuffix()}-Quarry`;
// Nothing listens on this fleet address: the trust route must say the host is unreachable.
const SILENT_ADDRESS = '127.63.0.250';

let gateway: AppProcess;
let admin: ApiClient;
let anonymous: ApiClient;

/** Makes a key pair with ssh-keygen; returns the private key text and `ssh-keygen -lf`'s fingerprint. */
function makeKey(name: string, args: string[]): { privateKey: string; fingerprint: string; path: string } {
  const path = join(keysDir, name);
  execFileSync('ssh-keygen', ['-q', '-C', name, '-f', path, ...args]);
  const listed = execFileSync('ssh-keygen', ['-l', '-f', path]).toString();
  return { privateKey: readFileSync(path, 'utf8'), fingerprint: listed.split(' ')[1] as string, path };
}

/** A line from the middle of a PEM body: if the key were stored in clear, this would be in it. */
function bodyLineOf(privateKey: string): string {
  const lines = privateKey.trim().split('\n');
  return lines[Math.floor(lines.length / 2)] as string;
}

function expectErrorBody(response: ApiResponse, status: number, message: RegExp): void {
  expect({ status: response.status, body: response.body }).toEqual({
    status,
    body: expect.objectContaining({ statusCode: status, error: expect.any(String), requestId: expect.any(String) }),
  });
  expect(String(response.body.message)).toMatch(message);
  expect(JSON.stringify(response.body)).not.toMatch(/at .*\.js:\d+|node_modules|\/work\/|SELECT |INSERT /);
}

async function createCredential(overrides: Record<string, unknown> = {}): Promise<string> {
  const response = await admin.post('/credentials', {
    name: `cred-${randomSuffix()}`,
    username: fleet.username,
    privateKey: fleet.privateKey,
    ...overrides,
  });
  expect(response.status).toBe(201);
  return response.body.id as string;
}

beforeAll(async () => {
  await fleet.start(3);
  gateway = await startGateway();
  anonymous = new ApiClient(gateway.url);
  admin = await anonymous.login(TEST_ADMIN.username, TEST_ADMIN.password);
});

afterAll(async () => {
  await gateway?.stop();
  await fleet.stop();
  rmSync(keysDir, { recursive: true, force: true });
});

describe('credentials', () => {
  const plain = () => makeKey(`plain-${randomSuffix()}`, ['-t', 'ed25519', '-N', '']);

  it('stores a key and answers with its SHA256 fingerprint, equal to ssh-keygen -lf', async () => {
    const key = plain();
    const name = `deploy-${randomSuffix()}`;
    const response = await admin.post('/credentials', { name, username: 'deploy', privateKey: key.privateKey });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name,
      username: 'deploy',
      publicKeyFingerprint: key.fingerprint,
      become: null,
      createdAt: expect.any(String),
    });
  });

  it('accepts an encrypted key with its passphrase, and PEM RSA and ECDSA keys', async () => {
    for (const key of [
      makeKey(`enc-${randomSuffix()}`, ['-t', 'ed25519', '-N', PASSPHRASE]),
      makeKey(`rsa-${randomSuffix()}`, ['-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', '']),
      makeKey(`ecdsa-${randomSuffix()}`, ['-t', 'ecdsa', '-N', '']),
    ]) {
      const passphrase = key.path.includes('/enc-') ? { passphrase: PASSPHRASE } : {};
      const response = await admin.post('/credentials', {
        name: `k-${randomSuffix()}`,
        username: 'deploy',
        privateKey: key.privateKey,
        ...passphrase,
      });
      expect({ key: key.path, status: response.status, fingerprint: response.body.publicKeyFingerprint }).toEqual({
        key: key.path,
        status: 201,
        fingerprint: key.fingerprint,
      });
    }
  });

  it.each([
    ['garbage', () => ({ privateKey: 'not a key at all' }), /privateKey: is not a supported private key/],
    ['a public key', () => ({ privateKey: readFileSync(`${plain().path}.pub`, 'utf8') }), /privateKey: is a public key/],
    [
      'an encrypted key without its passphrase',
      () => ({ privateKey: makeKey(`e-${randomSuffix()}`, ['-t', 'ed25519', '-N', PASSPHRASE]).privateKey }),
      /privateKey: is encrypted/,
    ],
    [
      'an encrypted key with a wrong passphrase',
      () => ({
        privateKey: makeKey(`e-${randomSuffix()}`, ['-t', 'ed25519', '-N', PASSPHRASE]).privateKey,
        passphrase: 'Wrong-Passphrase-Entirely',
      }),
      /privateKey: cannot be decrypted with the given passphrase/,
    ],
    ['a number as the key', () => ({ privateKey: 42 }), /privateKey: must be a string/],
  ])('refuses %s with a 400 naming privateKey, without echoing it', async (_what, fields, message) => {
    const body = { name: `bad-${randomSuffix()}`, username: 'deploy', ...fields() };
    const response = await admin.post('/credentials', body);
    expectErrorBody(response, 400, message);
    const text = JSON.stringify(response.body);
    if (typeof body.privateKey === 'string' && body.privateKey.includes('\n')) {
      expect(text).not.toContain(bodyLineOf(body.privateKey));
    }
    expect(text).not.toContain('Wrong-Passphrase-Entirely');
    expect(text).not.toContain(PASSPHRASE);
  });

  it.each([
    ['an unknown field', { extra: 1 }, /extra/],
    ['a bad name', { name: 'has space' }, /name: must be/],
    ['a bad username', { username: '-oProxyCommand=sh' }, /username: must be/],
    ['an empty passphrase', { passphrase: '' }, /passphrase: must not be empty/],
  ])('refuses %s with 400', async (_what, overrides, message) => {
    const response = await admin.post('/credentials', {
      name: `c-${randomSuffix()}`,
      username: 'deploy',
      privateKey: plain().privateKey,
      ...overrides,
    });
    expectErrorBody(response, 400, message);
  });

  it('refuses a second credential with the same name (409)', async () => {
    const name = `twin-${randomSuffix()}`;
    expect((await admin.post('/credentials', { name, username: 'a', privateKey: plain().privateKey })).status).toBe(201);
    const again = await admin.post('/credentials', { name: name.toUpperCase(), username: 'a', privateKey: plain().privateKey });
    expectErrorBody(again, 409, new RegExp(`name: a credential named ${name.toUpperCase()} already exists`));
  });

  it('never shows key material in a list or a get', async () => {
    const key = makeKey(`secret-${randomSuffix()}`, ['-t', 'ed25519', '-N', PASSPHRASE]);
    const id = (
      await admin.post('/credentials', { name: `s-${randomSuffix()}`, username: 'u', privateKey: key.privateKey, passphrase: PASSPHRASE })
    ).body.id;
    const one = await admin.get(`/credentials/${id}`);
    expect(one.status).toBe(200);
    expect(Object.keys(one.body).sort()).toEqual(['become', 'createdAt', 'id', 'name', 'publicKeyFingerprint', 'username']);
    const all: unknown[] = [];
    let cursor: string | null = null;
    do {
      const page: ApiResponse = await admin.get(`/credentials?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      all.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(all).toContainEqual(one.body);
    for (const text of [JSON.stringify(one.body), JSON.stringify(all)]) {
      expect(text).not.toMatch(/PRIVATE KEY|ciphertext|passphrase|"iv"|"tag"/i);
      expect(text).not.toContain(bodyLineOf(key.privateKey));
      expect(text).not.toContain(PASSPHRASE);
    }
    expect(gateway.logs()).not.toContain(bodyLineOf(key.privateKey));
    expect(gateway.logs()).not.toContain(PASSPHRASE);
  });

  it('answers 400 for a non-UUID id and 404 for an unknown one', async () => {
    expectErrorBody(await admin.get('/credentials/not-a-uuid'), 400, /id must be a UUID/);
    expectErrorBody(await admin.delete('/credentials/12345'), 400, /id must be a UUID/);
    expectErrorBody(await admin.get(`/credentials/${randomUUID()}`), 404, /not found/);
    expectErrorBody(await admin.delete(`/credentials/${randomUUID()}`), 404, /not found/);
  });

  it('refuses to delete a credential hosts still use (409), and deletes it once they are gone', async () => {
    const credentialId = await createCredential();
    const host = await admin.post('/hosts', { name: `uses-${randomSuffix()}`, address: '10.9.9.9', credentialId });
    expect(host.status).toBe(201);
    expectErrorBody(await admin.delete(`/credentials/${credentialId}`), 409, /is used by 1 host\(s\)/);
    expect((await admin.delete(`/hosts/${host.body.id}`)).status).toBe(204);
    expect((await admin.delete(`/credentials/${credentialId}`)).status).toBe(204);
    expect((await admin.get(`/credentials/${credentialId}`)).status).toBe(404);
  });
});

describe('hosts', () => {
  let credentialId: string;

  beforeAll(async () => {
    credentialId = await createCredential();
  });

  it('creates, reads, updates and deletes a host', async () => {
    const name = `crud-${randomSuffix()}`;
    const created = await admin.post('/hosts', { name, address: 'DB-01.Example.internal', credentialId, labels: { role: 'db' } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      name,
      address: 'db-01.example.internal',
      port: 22,
      credentialId,
      labels: { role: 'db' },
      hostKey: null,
      hostKeyFingerprint: null,
      hostKeyStatus: 'unpinned',
      hostKeyTrustedBy: null,
      hostKeyTrustedAt: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const id = created.body.id as string;
    expect((await admin.get(`/hosts/${id}`)).body).toEqual(created.body);

    const patched = await admin.patch(`/hosts/${id}`, { labels: { role: 'db', env: 'prod' }, port: 2200 });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ labels: { role: 'db', env: 'prod' }, port: 2200, name });

    expect((await admin.delete(`/hosts/${id}`)).status).toBe(204);
    expectErrorBody(await admin.get(`/hosts/${id}`), 404, /not found/);
  });

  it('pins a host key given at registration and records who pinned it', async () => {
    const key = fleet.hosts[0]!;
    const created = await admin.post('/hosts', {
      name: `pinned-${randomSuffix()}`,
      address: '10.1.1.1',
      credentialId,
      hostKey: `${key.hostKey} some-comment`,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      hostKey: key.hostKey,
      hostKeyFingerprint: key.hostKeyFingerprint,
      hostKeyStatus: 'pinned',
      hostKeyTrustedBy: TEST_ADMIN.username,
      hostKeyTrustedAt: expect.any(String),
    });
  });

  it.each([
    ['a bad address', { address: '10.0.0.256' }, /address: is not a valid IPv4 address/],
    ['a port out of range', { port: 70000 }, /port: must be an integer from 1 to 65535/],
    ['a port as a string', { port: '22' }, /port: must be an integer/],
    ['a bad label key', { labels: { 'Bad Key': 'x' } }, /labels: key "Bad Key"/],
    ['too many labels', { labels: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])) }, /at most 32 labels/],
    ['a bad host key', { hostKey: 'ssh-ed25519 AAAA' }, /hostKey: is not a valid OpenSSH public key line/],
    ['a credentialId that is not a UUID', { credentialId: 'x' }, /credentialId: must be a UUID/],
    ['an unknown credential', { credentialId: randomUUID() }, /credentialId: no credential/],
    ['an unknown field', { role: 'web' }, /role/],
  ])('refuses %s with 400 naming the field', async (_what, overrides, message) => {
    const response = await admin.post('/hosts', { name: `bad-${randomSuffix()}`, address: '10.0.0.1', credentialId, ...overrides });
    expectErrorBody(response, 400, message);
  });

  it('refuses a duplicate name, whatever its case (409)', async () => {
    const name = `dup-${randomSuffix()}`;
    expect((await admin.post('/hosts', { name, address: '10.0.0.1', credentialId })).status).toBe(201);
    expectErrorBody(await admin.post('/hosts', { name: name.toUpperCase(), address: '10.0.0.2', credentialId }), 409, /already exists/);
    const other = await admin.post('/hosts', { name: `${name}-2`, address: '10.0.0.3', credentialId });
    expectErrorBody(await admin.patch(`/hosts/${other.body.id}`, { name: name.toUpperCase() }), 409, /already exists/);
  });

  it('answers 400 for a non-UUID id and 404 for an unknown one, on every host route', async () => {
    for (const [method, path] of [
      ['GET', '/hosts/abc'],
      ['PATCH', '/hosts/abc'],
      ['DELETE', '/hosts/abc'],
      ['POST', '/hosts/abc/host-key/trust'],
    ] as const) {
      const response = await admin.request(method, path, method === 'GET' || method === 'DELETE' ? undefined : {});
      expectErrorBody(response, 400, /id must be a UUID/);
    }
    const unknown = randomUUID();
    expectErrorBody(await admin.get(`/hosts/${unknown}`), 404, /not found/);
    expectErrorBody(await admin.patch(`/hosts/${unknown}`, { port: 22 }), 404, /not found/);
    expectErrorBody(await admin.delete(`/hosts/${unknown}`), 404, /not found/);
    expectErrorBody(await admin.post(`/hosts/${unknown}/host-key/trust`, {}), 404, /not found/);
  });

  it('filters by two labels, all of which must match', async () => {
    const tag = `t${randomSuffix()}`;
    const hosts = [
      ['web-prod', { suite: tag, role: 'web', env: 'prod' }],
      ['web-dev', { suite: tag, role: 'web', env: 'dev' }],
      ['db-prod', { suite: tag, role: 'db', env: 'prod' }],
      ['web-prod-2', { suite: tag, role: 'web', env: 'prod', zone: 'b' }],
    ] as const;
    for (const [name, labels] of hosts) {
      expect((await admin.post('/hosts', { name: `${tag}-${name}`, address: '10.0.0.1', credentialId, labels })).status).toBe(201);
    }
    const both = await admin.get(`/hosts?label=suite=${tag}&label=role=web&label=env=prod`);
    expect(both.status).toBe(200);
    expect(both.body.items.map((h: { name: string }) => h.name)).toEqual([`${tag}-web-prod`, `${tag}-web-prod-2`]);
    const one = await admin.get(`/hosts?label=suite=${tag}&label=env=prod`);
    expect(one.body.items.map((h: { name: string }) => h.name)).toEqual([`${tag}-db-prod`, `${tag}-web-prod`, `${tag}-web-prod-2`]);
  });

  it.each([
    ['a filter without "="', 'label=role', /label: "role" must be key=value/],
    ['a bad label key', 'label=Role=web', /label: "Role=web": key must be/],
    ['one key with two values', 'label=env=prod&label=env=dev', /key env is given twice/],
    ['a bad cursor', 'cursor=not-ours', /cursor/],
    ['a cursor with bad characters', 'cursor=%24%24', /cursor/],
    ['limit 0', 'limit=0', /limit/],
    ['limit 501', 'limit=501', /limit/],
    ['a limit that is not a number', 'limit=ten', /limit/],
    ['an unknown query parameter', 'sort=name', /sort/],
  ])('refuses %s in the query with 400', async (_what, query, message) => {
    expectErrorBody(await admin.get(`/hosts?${query}`), 400, message);
  });

  it('pages through more hosts than the limit with opaque cursors, in name order, each once', async () => {
    const tag = `p${randomSuffix()}`;
    const names = Array.from({ length: 7 }, (_, i) => `${tag}-${String(i).padStart(2, '0')}`);
    const bulk = await admin.post('/hosts/bulk', {
      hosts: [...names].reverse().map((name) => ({ name, address: '10.0.0.1', credentialId, labels: { page: tag } })),
    });
    expect(bulk.status).toBe(201);
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const page: ApiResponse = await admin.get(`/hosts?label=page=${tag}&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      sizes.push(page.body.items.length);
      seen.push(...page.body.items.map((h: { name: string }) => h.name));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen).toEqual(names);
    const defaultPage = await admin.get(`/hosts?label=page=${tag}`);
    expect(defaultPage.body).toEqual({ items: expect.any(Array), nextCursor: null });
    expect(defaultPage.body.items).toHaveLength(7);
  });

  describe('bulk registration', () => {
    it('registers every host of a valid batch in one call', async () => {
      const tag = `b${randomSuffix()}`;
      const response = await admin.post('/hosts/bulk', {
        hosts: Array.from({ length: 5 }, (_, i) => ({
          name: `${tag}-${i}`,
          address: `10.2.0.${i + 1}`,
          credentialId,
          labels: { batch: tag },
          ...(i === 0 ? { hostKey: fleet.hosts[0]!.hostKey, port: 2222 } : {}),
        })),
      });
      expect(response.status).toBe(201);
      expect(response.body.count).toBe(5);
      expect(response.body.items.map((h: { name: string }) => h.name)).toEqual([0, 1, 2, 3, 4].map((i) => `${tag}-${i}`));
      expect(response.body.items[0]).toMatchObject({ port: 2222, hostKeyStatus: 'pinned' });
      expect((await admin.get(`/hosts?label=batch=${tag}`)).body.items).toHaveLength(5);
    });

    it('registers nothing when any item is bad, and names every bad item by index and field', async () => {
      const tag = `x${randomSuffix()}`;
      const hosts = Array.from({ length: 6 }, (_, i) => ({
        name: `${tag}-${i}`,
        address: '10.3.0.1',
        credentialId,
        labels: { batch: tag },
      }));
      Object.assign(hosts[1]!, { port: 0 });
      Object.assign(hosts[3]!, { address: 'bad_address!' });
      Object.assign(hosts[4]!, { labels: { Bad: 'x' }, extra: true });
      Object.assign(hosts[5]!, { credentialId: 'nope' });
      const response = await admin.post('/hosts/bulk', { hosts });
      expectErrorBody(response, 400, /hosts\[1\]\.port: must be an integer/);
      expect(response.body.message).toEqual([
        'hosts[1].port: must be an integer from 1 to 65535',
        expect.stringMatching(/^hosts\[3\]\.address: must be an IPv4 address, an IPv6 address or a DNS name/),
        'hosts[4].extra: is not an allowed field',
        expect.stringMatching(/^hosts\[4\]\.labels: key "Bad": key must be/),
        'hosts[5].credentialId: must be a UUID',
      ]);
      expect((await admin.get(`/hosts?label=batch=${tag}`)).body.items).toEqual([]);
    });

    it('registers nothing when one credential is unknown, naming its index', async () => {
      const tag = `u${randomSuffix()}`;
      const response = await admin.post('/hosts/bulk', {
        hosts: [
          { name: `${tag}-0`, address: '10.0.0.1', credentialId, labels: { batch: tag } },
          { name: `${tag}-1`, address: '10.0.0.1', credentialId: randomUUID(), labels: { batch: tag } },
        ],
      });
      expectErrorBody(response, 400, /hosts\[1\]\.credentialId: no credential/);
      expect((await admin.get(`/hosts?label=batch=${tag}`)).body.items).toEqual([]);
    });

    it('answers 409 naming names given twice in the batch or already registered, and registers nothing', async () => {
      const tag = `d${randomSuffix()}`;
      const existing = `${tag}-existing`;
      expect((await admin.post('/hosts', { name: existing, address: '10.0.0.1', credentialId })).status).toBe(201);
      const twice = await admin.post('/hosts/bulk', {
        hosts: [`${tag}-a`, `${tag}-b`, `${tag}-A`].map((name) => ({ name, address: '10.0.0.1', credentialId, labels: { batch: tag } })),
      });
      expectErrorBody(twice, 409, new RegExp(`hosts\\[0\\], hosts\\[2\\]\\.name: ${tag}-a is given more than once`));
      const taken = await admin.post('/hosts/bulk', {
        hosts: [`${tag}-c`, existing].map((name) => ({ name, address: '10.0.0.1', credentialId, labels: { batch: tag } })),
      });
      expectErrorBody(taken, 409, new RegExp(`hosts\\[1\\]\\.name: a host named ${existing} already exists`));
      expect((await admin.get(`/hosts?label=batch=${tag}`)).body.items).toEqual([]);
    });

    it('refuses an empty batch and one over 1,000 hosts', async () => {
      expectErrorBody(await admin.post('/hosts/bulk', { hosts: [] }), 400, /hosts/);
      const tooMany = Array.from({ length: 1001 }, (_, i) => ({ name: `h${i}`, address: '10.0.0.1', credentialId }));
      expectErrorBody(await admin.post('/hosts/bulk', { hosts: tooMany }), 400, /hosts/);
    });

    it('registers 1,000 hosts in one call', async () => {
      const tag = `k${randomSuffix()}`;
      const hosts = Array.from({ length: 1000 }, (_, i) => ({
        name: `${tag}-${String(i).padStart(4, '0')}`,
        address: `10.4.${i % 250}.1`,
        credentialId,
        labels: { batch: tag },
      }));
      const response = await admin.post('/hosts/bulk', { hosts });
      expect(response.status).toBe(201);
      expect(response.body.count).toBe(1000);
      const page = await admin.get(`/hosts?label=batch=${tag}&limit=500`);
      expect(page.body.items).toHaveLength(500);
      expect(page.body.nextCursor).toEqual(expect.any(String));
    });
  });

  it('lets a viewer read hosts but not change them (403)', async () => {
    const username = `viewer-${randomSuffix()}`;
    const password = `Quiet-Meadow-${randomSuffix()}-Lamp`;
    expect((await admin.post('/users', { username, password, role: 'viewer' })).status).toBe(201);
    const viewer = await anonymous.login(username, password);
    expect((await viewer.get('/hosts?limit=1')).status).toBe(200);
    expect((await viewer.get('/credentials?limit=1')).status).toBe(200);
    expect((await viewer.post('/hosts', { name: 'nope', address: '10.0.0.1', credentialId })).status).toBe(403);
    expect((await viewer.post('/credentials', { name: 'nope', username: 'x', privateKey: 'x' })).status).toBe(403);
    expect((await viewer.post(`/hosts/${randomUUID()}/host-key/trust`, {})).status).toBe(403);
  });
});

describe('operator-approved trust of host keys (real sshd)', () => {
  let credentialId: string;

  beforeAll(async () => {
    credentialId = await createCredential();
  });

  async function registerFleetHost(index: number): Promise<string> {
    const target = fleet.hosts[index]!;
    const response = await admin.post('/hosts', {
      name: `trust-${target.name}-${randomSuffix()}`,
      address: target.address,
      port: target.port,
      credentialId,
    });
    expect(response.status).toBe(201);
    expect(response.body.hostKeyStatus).toBe('unpinned');
    return response.body.id as string;
  }

  it('records the key the host presents, its fingerprint and who trusted it; a later key change makes connections fail', async () => {
    const id = await registerFleetHost(1);
    const before = fleet.hosts[1]!;
    const trusted = await admin.post(`/hosts/${id}/host-key/trust`, {});
    expect(trusted.status).toBe(200);
    expect(trusted.body).toMatchObject({
      hostKey: before.hostKey,
      hostKeyFingerprint: before.hostKeyFingerprint,
      hostKeyStatus: 'pinned',
      hostKeyTrustedBy: TEST_ADMIN.username,
    });
    expect(Date.now() - Date.parse(trusted.body.hostKeyTrustedAt)).toBeLessThan(60_000);

    // The pinned key opens a session and runs a command on the host.
    const session = await connector.connect({
      address: before.address,
      port: before.port,
      username: fleet.username,
      privateKey: fleet.privateKey,
      hostKey: trusted.body.hostKey,
      connectTimeoutMs: 10_000,
    });
    expect((await session.exec('echo "$VZ_HOST_NAME"', { timeoutMs: 10_000 })).stdout.trim()).toBe(before.name);
    await session.close();

    // The host's key is regenerated and its sshd restarted (the fleet reuses keys it finds on disk).
    rmSync(join(fleet.baseDir, 'hosts', before.name, 'ssh_host_ed25519_key'));
    rmSync(join(fleet.baseDir, 'hosts', before.name, 'ssh_host_ed25519_key.pub'));
    await fleet.start(3);
    const after = fleet.hosts[1]!;
    expect(after.hostKeyFingerprint).not.toBe(before.hostKeyFingerprint);

    const pinned = (await admin.get(`/hosts/${id}`)).body;
    const attempt = connector.connect({
      address: after.address,
      port: after.port,
      username: fleet.username,
      privateKey: fleet.privateKey,
      hostKey: pinned.hostKey,
      connectTimeoutMs: 10_000,
    });
    await expect(attempt).rejects.toThrow(HostKeyMismatchError);
    await expect(attempt).rejects.toThrow(
      `host key mismatch: expected ${before.hostKeyFingerprint}, server presented ${after.hostKeyFingerprint}`,
    );

    // Re-trusting a changed key needs the new fingerprint, confirmed out of band.
    const blind = await admin.post(`/hosts/${id}/host-key/trust`, {});
    expectErrorBody(blind, 409, /is pinned to .* but now presents/);
    expect(blind.body).toMatchObject({ pinnedFingerprint: before.hostKeyFingerprint, presentedFingerprint: after.hostKeyFingerprint });
    expect((await admin.get(`/hosts/${id}`)).body.hostKeyFingerprint).toBe(before.hostKeyFingerprint);

    const confirmed = await admin.post(`/hosts/${id}/host-key/trust`, { expectedFingerprint: after.hostKeyFingerprint });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ hostKey: after.hostKey, hostKeyFingerprint: after.hostKeyFingerprint });
  });

  it('pins nothing when the host presents another fingerprint than the expected one (409 with both)', async () => {
    const id = await registerFleetHost(2);
    const expected = fleet.hosts[0]!.hostKeyFingerprint;
    const response = await admin.post(`/hosts/${id}/host-key/trust`, { expectedFingerprint: expected });
    expectErrorBody(response, 409, /nothing was pinned/);
    expect(response.body).toMatchObject({ expectedFingerprint: expected, presentedFingerprint: fleet.hosts[2]!.hostKeyFingerprint });
    expect((await admin.get(`/hosts/${id}`)).body.hostKeyStatus).toBe('unpinned');
  });

  it('refuses a malformed expectedFingerprint with 400', async () => {
    const id = await registerFleetHost(2);
    expectErrorBody(await admin.post(`/hosts/${id}/host-key/trust`, { expectedFingerprint: 'MD5:aa' }), 400, /expectedFingerprint/);
  });

  it('answers 502 with a clear message when the host does not answer SSH', async () => {
    const host = await admin.post('/hosts', { name: `silent-${randomSuffix()}`, address: SILENT_ADDRESS, port: 2222, credentialId });
    const response = await admin.post(`/hosts/${host.body.id}/host-key/trust`, {});
    expectErrorBody(response, 502, /could not be reached over SSH/);
    expect((await admin.get(`/hosts/${host.body.id}`)).body.hostKeyStatus).toBe('unpinned');
  });

  it('unpins a host moved to another address, unless the move pins a new key', async () => {
    const id = await registerFleetHost(0);
    expect((await admin.post(`/hosts/${id}/host-key/trust`, {})).body.hostKeyStatus).toBe('pinned');
    const labelsOnly = await admin.patch(`/hosts/${id}`, { labels: { moved: 'no' } });
    expect(labelsOnly.body.hostKeyStatus).toBe('pinned');

    const moved = await admin.patch(`/hosts/${id}`, { address: fleet.hosts[2]!.address });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ hostKeyStatus: 'unpinned', hostKey: null, hostKeyTrustedBy: null, hostKeyTrustedAt: null });

    const movedWithKey = await admin.patch(`/hosts/${id}`, { address: fleet.hosts[0]!.address, hostKey: fleet.hosts[0]!.hostKey });
    expect(movedWithKey.body).toMatchObject({ hostKeyStatus: 'pinned', hostKeyFingerprint: fleet.hosts[0]!.hostKeyFingerprint });

    const unpinned = await admin.patch(`/hosts/${id}`, { hostKey: null });
    expect(unpinned.body.hostKeyStatus).toBe('unpinned');
    expectErrorBody(await admin.patch(`/hosts/${id}`, { name: null }), 400, /name: must be a string/);
  });
});

describe('secrets at rest', () => {
  it('keeps private keys and passphrases out of a pg_dump of the database', async () => {
    const key = makeKey(`dump-${randomSuffix()}`, ['-t', 'ed25519', '-N', PASSPHRASE]);
    const name = `dump-check-${randomSuffix()}`;
    expect((await admin.post('/credentials', { name, username: 'u', privateKey: key.privateKey, passphrase: PASSPHRASE })).status).toBe(
      201,
    );
    await createCredential({ name: `dump-fleet-${randomSuffix()}` });
    const pgDump = ['/usr/lib/postgresql/15/bin/pg_dump', 'pg_dump'].find((bin) => {
      try {
        execFileSync(bin, ['--version'], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    }) as string;
    const dump = execFileSync(pgDump, ['--data-only', process.env.DATABASE_URL as string], { maxBuffer: 256 * 1024 * 1024 }).toString();
    expect(dump).toContain(name);
    for (const secret of [bodyLineOf(key.privateKey), bodyLineOf(fleet.privateKey), PASSPHRASE, 'PRIVATE KEY']) {
      expect(dump).not.toContain(secret);
    }
  });
});
