import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as jwt from 'jsonwebtoken';
import { AppProcess, startGateway } from '../harness/app-process';
import { ApiClient, TEST_ADMIN } from '../harness/api-client';
import { appEnv, randomSuffix } from '../harness/test-env';

jest.setTimeout(90_000);

const PUBLIC_ROUTES = new Set(['GET /health/live', 'GET /health/ready', 'POST /auth/login']);

describe('identity and access (real gateway, PostgreSQL, Redis)', () => {
  let gateway: AppProcess;
  let anonymous: ApiClient;
  let admin: ApiClient;
  const secret = appEnv().JWT_SECRET as string;

  beforeAll(async () => {
    gateway = await startGateway();
    anonymous = new ApiClient(gateway.url);
    admin = await anonymous.login(TEST_ADMIN.username, TEST_ADMIN.password);
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  async function createUser(role: string): Promise<{ id: string; client: ApiClient; username: string; password: string }> {
    const username = `${role}-${randomSuffix()}`;
    const password = `Quiet-Meadow-${randomSuffix()}-Lamp`;
    const created = await admin.post('/users', { username, password, role });
    expect(created.status).toBe(201);
    return { id: created.body.id, client: await anonymous.login(username, password), username, password };
  }

  it('refuses every non-public route of the OpenAPI document without a token', async () => {
    const doc = (await anonymous.get('/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
    const checked: string[] = [];
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const method of Object.keys(operations)) {
        const route = `${method.toUpperCase()} ${path}`;
        if (PUBLIC_ROUTES.has(route)) continue;
        const concrete = path.replace(/\{[^}]+\}/g, randomUUID());
        const response = await anonymous.request(method.toUpperCase(), concrete, method === 'get' ? undefined : {});
        expect({ route, status: response.status }).toEqual({ route, status: 401 });
        expect(response.body).toEqual(expect.objectContaining({ statusCode: 401, requestId: expect.any(String) }));
        checked.push(route);
      }
    }
    expect(checked).toEqual(expect.arrayContaining(['GET /auth/me', 'POST /users', 'POST /api-keys', 'GET /roles']));
  });

  it.each([
    [
      'alg none',
      () =>
        `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: randomUUID(), tv: 0, typ: 'access' })).toString('base64url')}.`,
    ],
    [
      'a wrong secret',
      () => jwt.sign({ sub: randomUUID(), tv: 0, typ: 'access' }, 'not-the-secret-not-the-secret-123', { algorithm: 'HS256' }),
    ],
    ['HS512 with the right secret', () => jwt.sign({ sub: randomUUID(), tv: 0, typ: 'access' }, secret, { algorithm: 'HS512' })],
    ['an expired token', () => jwt.sign({ sub: randomUUID(), tv: 0, typ: 'access', exp: Math.floor(Date.now() / 1000) - 60 }, secret)],
    ['garbage', () => 'not.a.jwt'],
    ['an unknown API key', () => `vz_${'A'.repeat(43)}`],
  ])('answers a token forged with %s with 401', async (_name, forge) => {
    const response = await anonymous.withToken(forge()).get('/auth/me');
    expect(response.status).toBe(401);
  });

  it('refuses an expired token of a real user but accepts its fresh one', async () => {
    const me = (await admin.get('/auth/me')).body as { id: string };
    const expired = jwt.sign({ sub: me.id, tv: 0, typ: 'access', exp: Math.floor(Date.now() / 1000) - 1 }, secret);
    expect((await anonymous.withToken(expired).get('/auth/me')).status).toBe(401);
    expect((await admin.get('/auth/me')).status).toBe(200);
  });

  it('lets a viewer read but not manage users or create keys above its role (403)', async () => {
    const viewer = await createUser('viewer');
    const me = await viewer.client.get('/auth/me');
    expect(me.body).toEqual(expect.objectContaining({ role: 'viewer', permissions: expect.arrayContaining(['hosts:read']) }));
    expect(me.body.permissions).not.toContain('deployments:write');
    expect((await viewer.client.get('/roles')).status).toBe(200);
    expect((await viewer.client.get('/users')).status).toBe(403);
    expect((await viewer.client.post('/users', { username: 'x-user', password: 'Quiet-Meadow-Lamp-1', role: 'admin' })).status).toBe(403);
    const escalate = await viewer.client.post('/api-keys', { name: 'sneaky', role: 'admin' });
    expect(escalate.status).toBe(403);
  });

  it('issues an API key once, stores only its prefix, and honours its role until revoked', async () => {
    const operator = await createUser('operator');
    const created = await operator.client.post('/api-keys', { name: 'ci-pipeline', role: 'viewer' });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    expect(key).toMatch(/^vz_[A-Za-z0-9_-]{43}$/);
    expect(key.startsWith(created.body.prefix)).toBe(true);

    const viaKey = anonymous.withToken(key);
    const me = await viaKey.get('/auth/me');
    expect(me.body).toEqual(expect.objectContaining({ kind: 'api-key', role: 'viewer', apiKeyId: created.body.id }));
    expect((await viaKey.get('/users')).status).toBe(403);

    const listed = await operator.client.get('/api-keys');
    const item = listed.body.items.find((k: { id: string }) => k.id === created.body.id);
    expect(item).toEqual(expect.objectContaining({ prefix: created.body.prefix, lastUsedAt: expect.any(String) }));
    expect(JSON.stringify(listed.body)).not.toContain(key);

    expect((await operator.client.delete(`/api-keys/${created.body.id}`)).status).toBe(204);
    expect((await viaKey.get('/auth/me')).status).toBe(401);
  });

  it("refuses an operator's key with a deployer's permissions (roles are not a ladder)", async () => {
    const operator = await createUser('operator');
    expect((await operator.client.post('/api-keys', { name: 'deploys', role: 'deployer' })).status).toBe(403);
  });

  it('ends the sessions of a disabled user and of a deleted one', async () => {
    const disabled = await createUser('deployer');
    expect((await disabled.client.get('/auth/me')).status).toBe(200);
    expect((await admin.patch(`/users/${disabled.id}`, { disabled: true })).status).toBe(200);
    expect((await disabled.client.get('/auth/me')).status).toBe(401);
    expect((await anonymous.post('/auth/login', { username: disabled.username, password: disabled.password })).status).toBe(401);

    const deleted = await createUser('viewer');
    const key = (await deleted.client.post('/api-keys', { name: 'soon-gone', role: 'viewer' })).body.key as string;
    expect((await admin.delete(`/users/${deleted.id}`)).status).toBe(204);
    expect((await deleted.client.get('/auth/me')).status).toBe(401);
    expect((await anonymous.withToken(key).get('/auth/me')).status).toBe(401);
  });

  it('applies the password policy and names the field', async () => {
    for (const password of ['short-pass', 'Password1234', 'my-name-is-policyuser']) {
      const response = await admin.post('/users', { username: 'policyuser', password, role: 'viewer' });
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body.message)).toMatch(/password/);
    }
  });

  it('rejects unknown fields, wrong types and non-UUID ids with 400 naming them', async () => {
    const unknown = await admin.post('/users', { username: 'typo-user', password: 'Quiet-Meadow-Lamp-77', role: 'viewer', isAdmin: true });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toEqual(expect.arrayContaining([expect.stringContaining('isAdmin')]));
    const wrongType = await admin.patch(`/users/${randomUUID()}`, { disabled: 'yes' });
    expect(wrongType.status).toBe(400);
    expect(JSON.stringify(wrongType.body.message)).toContain('disabled');
    expect((await admin.get('/users/not-a-uuid')).status).toBe(400);
    expect((await admin.get(`/users/${randomUUID()}`)).status).toBe(404);
    expect((await admin.get('/users?limit=0')).status).toBe(400);
    expect((await admin.get('/users?limit=abc')).status).toBe(400);
    expect((await admin.get('/users?cursor=%24%24%24')).status).toBe(400);
  });

  it('pages users newest first with an opaque cursor', async () => {
    for (let i = 0; i < 3; i += 1) await createUser('viewer');
    const first = await admin.get('/users?limit=2');
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await admin.get(`/users?limit=2&cursor=${first.body.nextCursor}`);
    const ids = [...first.body.items, ...second.body.items].map((u: { id: string }) => u.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps API keys and passwords out of a pg_dump of the database', async () => {
    const key = (await admin.post('/api-keys', { name: 'dump-check', role: 'viewer' })).body.key as string;
    const pgDump = ['/usr/lib/postgresql/15/bin/pg_dump', 'pg_dump'].find((bin) => {
      try {
        execFileSync(bin, ['--version'], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    }) as string;
    const dump = execFileSync(pgDump, ['--data-only', process.env.DATABASE_URL as string], { maxBuffer: 256 * 1024 * 1024 }).toString();
    expect(dump).toContain('dump-check');
    expect(dump).not.toContain(key);
    expect(dump).not.toContain(key.slice(20));
    expect(dump).not.toContain(TEST_ADMIN.password);
  });
});

describe('per-caller rate limit', () => {
  let limited: AppProcess;
  let open: AppProcess;

  afterAll(async () => {
    await Promise.all([limited?.stop(), open?.stop()]);
  });

  it('counts each caller per route: the 4th call within the minute gets 429 with Retry-After, other routes and callers still answer', async () => {
    [limited, open] = await Promise.all([startGateway({ RATE_LIMIT_PER_MINUTE: '3' }), startGateway()]);
    // Set-up through a gateway with the usual limit: the admin's calls of other tests count too.
    const admin = await new ApiClient(open.url).login(TEST_ADMIN.username, TEST_ADMIN.password);
    // Callers of their own (API keys), so no other test's calls share their counters.
    const newKey = async () => {
      const created = await admin.post<{ key: string }>('/api-keys', { name: `limit-${randomSuffix()}`, role: 'viewer' });
      expect(created.status).toBe(201);
      return new ApiClient(limited.url).withToken(created.body.key);
    };
    const [caller, other] = [await newKey(), await newKey()];
    const first = await caller.get('/tasks?limit=1');
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit')).toBe('3');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('2');
    expect([(await caller.get('/tasks?limit=1')).status, (await caller.get('/tasks?limit=1')).status]).toEqual([200, 200]);
    const refused = await caller.get('/tasks?limit=1');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body).toEqual(expect.objectContaining({ statusCode: 429, requestId: expect.any(String) }));
    // Counted per route and per caller; the health probes are never limited.
    expect((await caller.get('/hosts?limit=1')).status).toBe(200);
    const probes = await Promise.all(Array.from({ length: 5 }, () => fetch(`${limited.url}/health/live`)));
    expect(probes.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect((await other.get('/tasks?limit=1')).status).toBe(200);
  });
});

describe('login rate limit across two gateway processes', () => {
  let first: AppProcess;
  let second: AppProcess;

  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
  });

  it('trips after 5 failed attempts split between two gateways and answers 429 with Retry-After', async () => {
    const limits = { LOGIN_RATE_LIMIT_PER_MINUTE: '5' };
    [first, second] = await Promise.all([startGateway(limits), startGateway(limits)]);
    const username = `target-${randomSuffix()}`;
    const attempt = (gateway: AppProcess) => new ApiClient(gateway.url).post('/auth/login', { username, password: 'wrong-password-guess' });
    const statuses = [];
    for (const gateway of [first, first, first, second, second]) statuses.push((await attempt(gateway)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const blocked = await attempt(second);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(blocked.body).toEqual(expect.objectContaining({ statusCode: 429, requestId: expect.any(String) }));
    expect((await attempt(first)).status).toBe(429);
    // Another username from the same address is not locked out by the attack on this one: it gets
    // its answer (401), not 429. A username of its own: the admin's logins in other suites of this
    // run count against the same Redis keys within the minute.
    const other = await new ApiClient(first.url).post('/auth/login', {
      username: `other-${randomSuffix()}`,
      password: 'wrong-password-guess',
    });
    expect(other.status).toBe(401);
  });
});
