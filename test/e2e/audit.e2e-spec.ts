import { AppProcess, startGateway, waitFor } from '../harness/app-process';
import type { AuditEventView } from '../../libs/audit/src/audit.service';
import { ApiClient, ApiResponse, TEST_ADMIN } from '../harness/api-client';
import { randomSuffix } from '../harness/test-env';

jest.setTimeout(90_000);

type AuditItem = AuditEventView;

interface AuditPage {
  items: AuditItem[];
  nextCursor: string | null;
}

describe('audit trail (real gateway, PostgreSQL, Redis)', () => {
  let gateway: AppProcess;
  let anonymous: ApiClient;
  let admin: ApiClient;

  beforeAll(async () => {
    gateway = await startGateway();
    anonymous = new ApiClient(gateway.url);
    admin = await anonymous.login(TEST_ADMIN.username, TEST_ADMIN.password);
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  /** Events are written once the response is over: wait for the one a request left. */
  async function auditEventOf(requestId: string | null): Promise<AuditItem> {
    expect(requestId).toEqual(expect.any(String));
    let found: AuditItem | undefined;
    await waitFor(
      async () => {
        let cursor: string | null = null;
        for (let page = 0; page < 20 && !found; page += 1) {
          const response: ApiResponse<AuditPage> = await admin.get<AuditPage>(`/audit?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
          expect(response.status).toBe(200);
          found = response.body.items.find((item) => item.requestId === requestId);
          cursor = response.body.nextCursor;
          if (!cursor) break;
        }
        return found !== undefined;
      },
      10_000,
      `audit event of request ${requestId}`,
    );
    return found as AuditItem;
  }

  it('records a failed login as denied under the attempted username, with the caller request id and never the password', async () => {
    const requestId = `ci-audit-${randomSuffix()}`;
    const password = `Wrong-Guess-${randomSuffix()}-Pass`;
    const response = await anonymous.post('/auth/login', { username: TEST_ADMIN.username, password }, { 'X-Request-Id': requestId });
    expect(response.status).toBe(401);
    expect(response.headers.get('x-request-id')).toBe(requestId);

    const event = await auditEventOf(requestId);
    expect(event).toEqual(
      expect.objectContaining({
        actorKind: 'anonymous',
        actorId: null,
        actorName: TEST_ADMIN.username,
        action: 'POST /auth/login',
        outcome: 'denied',
        statusCode: 401,
        requestId,
      }),
    );
    expect(event.address).toMatch(/127\.0\.0\.1$/);
    expect(JSON.stringify(event)).not.toContain(password);
  });

  it('records anonymous mutating requests that never reach a handler: denied by the guard, rejected by the body parser, unrouted', async () => {
    const denied = await anonymous.post('/api-keys', { name: 'intruder', role: 'admin' });
    expect(denied.status).toBe(401);
    const malformed = await fetch(`${gateway.url}/api-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name": ',
    });
    expect(malformed.status).toBe(400);
    const unrouted = await anonymous.delete('/no-such-thing/42?token=do-not-keep');
    expect(unrouted.status).toBe(404);

    expect(await auditEventOf(denied.headers.get('x-request-id'))).toEqual(
      expect.objectContaining({
        actorKind: 'anonymous',
        actorName: null,
        action: 'POST /api-keys',
        resourceType: 'api-keys',
        outcome: 'denied',
        statusCode: 401,
      }),
    );
    expect(await auditEventOf(malformed.headers.get('x-request-id'))).toEqual(
      expect.objectContaining({ actorKind: 'anonymous', action: 'POST /api-keys', outcome: 'failure', statusCode: 400 }),
    );
    const unroutedEvent = await auditEventOf(unrouted.headers.get('x-request-id'));
    expect(unroutedEvent).toEqual(
      expect.objectContaining({ action: 'DELETE /no-such-thing/42', resourceType: 'no-such-thing', outcome: 'failure', statusCode: 404 }),
    );
    expect(JSON.stringify(unroutedEvent)).not.toContain('do-not-keep');
  });

  it("records the admin's own changes, and what an API key is denied, with actor, resource and the response's request id", async () => {
    const me = (await admin.get('/auth/me')).body as { id: string };
    const name = `audit-ci-${randomSuffix()}`;
    const created = await admin.post('/api-keys', { name, role: 'viewer' });
    expect(created.status).toBe(201);
    const createdEvent = await auditEventOf(created.headers.get('x-request-id'));
    expect(createdEvent).toEqual(
      expect.objectContaining({
        actorKind: 'user',
        actorId: me.id,
        actorName: TEST_ADMIN.username,
        // Written in the change's own transaction, before any status code existed.
        action: 'api-key.create',
        resourceType: 'api-key',
        resourceId: created.body.id,
        outcome: 'success',
        statusCode: null,
        requestId: created.headers.get('x-request-id'),
        detail: expect.objectContaining({ name, role: 'viewer', prefix: created.body.prefix }),
      }),
    );
    expect(JSON.stringify(createdEvent)).not.toContain(created.body.key);

    const viewerKey = anonymous.withToken(created.body.key as string);
    const forbidden = await viewerKey.post('/users', { username: `u-${randomSuffix()}`, password: 'Quiet-Meadow-Lamp-77', role: 'admin' });
    expect(forbidden.status).toBe(403);
    expect(await auditEventOf(forbidden.headers.get('x-request-id'))).toEqual(
      expect.objectContaining({
        actorKind: 'api-key',
        actorId: me.id,
        actorName: expect.stringContaining(name),
        action: 'POST /users',
        outcome: 'denied',
        statusCode: 403,
        detail: expect.objectContaining({ apiKeyId: created.body.id }),
      }),
    );
    expect((await viewerKey.get('/audit')).status).toBe(403);
    expect((await anonymous.get('/audit')).status).toBe(401);
    expect((await anonymous.get('/audit/verify')).status).toBe(401);

    const read = await admin.get('/auth/me');
    const revoked = await admin.delete(`/api-keys/${created.body.id}`);
    expect(revoked.status).toBe(204);
    expect(await auditEventOf(revoked.headers.get('x-request-id'))).toEqual(
      expect.objectContaining({ action: 'api-key.revoke', resourceId: created.body.id, outcome: 'success', statusCode: null }),
    );
    // Reads are not audited: the GET before the DELETE left no event.
    const recent = (await admin.get('/audit?limit=500')).body.items as AuditItem[];
    expect(recent.map((item) => item.requestId)).not.toContain(read.headers.get('x-request-id'));
  });

  it('pages newest first with an opaque cursor and validates limit and cursor', async () => {
    const first = await admin.get('/audit?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await admin.get(`/audit?limit=2&cursor=${first.body.nextCursor}`);
    const ids = [...first.body.items, ...second.body.items].map((item: AuditItem) => Number(item.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(new Set(ids).size).toBe(4);

    for (const query of ['limit=0', 'limit=501', 'limit=ten', 'cursor=!!', 'cursor=bm90LWEtY3Vyc29y']) {
      const response = await admin.get(`/audit?${query}`);
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
    }
  });

  it('verifies the whole chain as valid', async () => {
    const response = await admin.get('/audit/verify');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      valid: true,
      checked: expect.any(Number),
      head: { id: expect.any(String), hash: expect.stringMatching(/^[0-9a-f]{64}$/), count: response.body.checked },
    });
    expect(response.body.checked).toBeGreaterThanOrEqual(6);
    expect(gateway.logs()).not.toContain('audit event not recorded');
  });
});
