import { Client } from 'pg';
import { AppProcess, startGateway, startWorker, waitFor } from '../harness/app-process';
import { ApiClient, ApiResponse, TEST_ADMIN } from '../harness/api-client';
import { randomSuffix } from '../harness/test-env';
import { SshFleet } from '../fleet/fleet';
import type { AuditEventView } from '../../libs/audit/src/audit.service';

jest.setTimeout(180_000);

// Keys and the audit trail over the real gateway, worker, PostgreSQL, Redis and
// sshd (127.83.0.x): who may mint keys, what revokes them, the audit row that
// commits with its change or not at all, the chain head, the last admin,
// four-eyes approval, and what a failed write may leave in the logs.

interface AuditPage {
  items: AuditEventView[];
  nextCursor: string | null;
}

const PASSWORD = 'Long-Enough-Pass-2026';

describe('keys and the audit trail (real gateway, worker, PostgreSQL, Redis, sshd)', () => {
  const run = randomSuffix();
  const fleet = new SshFleet({ subnet: '127.83' });
  let gateway: AppProcess;
  let worker: AppProcess;
  let anonymous: ApiClient;
  let admin: ApiClient;
  let sql: Client;

  beforeAll(async () => {
    sql = new Client({ connectionString: process.env.DATABASE_URL });
    await sql.connect();
    // '' is unset: the gateway runs with the default REQUIRE_SEPARATE_APPROVER.
    gateway = await startGateway({ REQUIRE_SEPARATE_APPROVER: '' });
    anonymous = new ApiClient(gateway.url);
    admin = await anonymous.login(TEST_ADMIN.username, TEST_ADMIN.password);
  });

  afterAll(async () => {
    await Promise.all([gateway?.stop(), worker?.stop()]);
    await fleet.stop();
    await sql?.end();
  });

  async function newUser(role: string, name = `u-${run}-${randomSuffix()}`): Promise<{ id: string; username: string; client: ApiClient }> {
    const created = await admin.post('/users', { username: name, password: PASSWORD, role });
    expect(created.status).toBe(201);
    return { id: created.body.id, username: name, client: await anonymous.login(name, PASSWORD) };
  }

  async function newKey(client: ApiClient, role: string): Promise<{ id: string; key: string }> {
    const created = await client.post('/api-keys', { name: `k-${run}-${randomSuffix()}`, role });
    expect(created.status).toBe(201);
    return { id: created.body.id, key: created.body.key };
  }

  async function auditEvents(match: (event: AuditEventView) => boolean): Promise<AuditEventView[]> {
    const found: AuditEventView[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 50; page += 1) {
      const response: ApiResponse<AuditPage> = await admin.get<AuditPage>(`/audit?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.status).toBe(200);
      found.push(...response.body.items.filter(match));
      cursor = response.body.nextCursor;
      if (!cursor) break;
    }
    return found;
  }

  describe('API keys', () => {
    it('refuses, with 403 and why, an API key that tries to create an API key, even an admin key', async () => {
      const key = await newKey(admin, 'admin');
      const response = await anonymous.withToken(key.key).post('/api-keys', { name: `child-${run}`, role: 'viewer' });
      expect(response.status).toBe(403);
      expect(response.body.message).toMatch(/API key cannot create API keys/);
      const mine = (await admin.get('/api-keys?limit=500')).body.items as { name: string }[];
      expect(mine.some((k) => k.name === `child-${run}`)).toBe(false);
    });

    it('revokes the keys of a disabled user for good: they stay refused after the user is enabled again', async () => {
      const user = await newUser('operator');
      const key = await newKey(user.client, 'viewer');
      expect((await anonymous.withToken(key.key).get('/auth/me')).status).toBe(200);

      const disabled = await admin.patch(`/users/${user.id}`, { disabled: true });
      expect(disabled.status).toBe(200);
      expect((await anonymous.withToken(key.key).get('/auth/me')).status).toBe(401);
      expect((await admin.patch(`/users/${user.id}`, { disabled: false })).status).toBe(200);

      expect((await anonymous.withToken(key.key).get('/auth/me')).status).toBe(401);
      const keys = (await admin.get('/api-keys?limit=500')).body.items as { id: string; revokedAt: string | null }[];
      expect(keys.find((k) => k.id === key.id)?.revokedAt).toEqual(expect.any(String));
      const [event] = await auditEvents((e) => e.requestId === disabled.headers.get('x-request-id'));
      expect(event?.detail).toEqual(
        expect.objectContaining({ changes: { disabled: { from: false, to: true } }, apiKeysRevoked: [key.id], sessionsEnded: true }),
      );
    });

    it("revokes a user's keys and ends their sessions when their password changes", async () => {
      const user = await newUser('operator');
      const key = await newKey(user.client, 'operator');
      expect((await anonymous.withToken(key.key).get('/auth/me')).status).toBe(200);

      const changed = await admin.patch(`/users/${user.id}`, { password: `${PASSWORD}-new` });
      expect(changed.status).toBe(200);

      expect((await anonymous.withToken(key.key).get('/auth/me')).status).toBe(401);
      expect((await user.client.get('/auth/me')).status).toBe(401);
      const [event] = await auditEvents((e) => e.requestId === changed.headers.get('x-request-id'));
      expect(event?.detail).toEqual(expect.objectContaining({ changes: { password: 'changed' }, apiKeysRevoked: [key.id] }));
      expect(JSON.stringify(event)).not.toContain(`${PASSWORD}-new`);
    });
  });

  describe('audit rows commit with their change', () => {
    it("records a role change as viewer → operator, under the caller and the response's request id, once", async () => {
      const user = await newUser('viewer');
      const changed = await admin.patch(`/users/${user.id}`, { role: 'operator' });
      expect(changed.status).toBe(200);
      const requestId = changed.headers.get('x-request-id');
      // Written in the change's transaction: there the moment the response is.
      const events = await auditEvents((e) => e.requestId === requestId);
      expect(events).toHaveLength(1);
      expect(events[0]).toEqual(
        expect.objectContaining({
          actorKind: 'user',
          actorName: TEST_ADMIN.username,
          action: 'user.update',
          resourceType: 'user',
          resourceId: user.id,
          outcome: 'success',
          detail: expect.objectContaining({ username: user.username, changes: { role: { from: 'viewer', to: 'operator' } } }),
        }),
      );
    });

    it('does not commit a change whose audit row cannot be written', async () => {
      const username = `unaudited-${run}`;
      await sql.query(`
        CREATE OR REPLACE FUNCTION vz_test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.action = 'user.create' AND NEW.detail->>'username' = '${username}' THEN
            RAISE EXCEPTION 'audit refused by the test';
          END IF;
          RETURN NEW;
        END $$`);
      await sql.query(
        `CREATE TRIGGER vz_test_refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION vz_test_refuse_audit()`,
      );
      try {
        const refused = await admin.post('/users', { username, password: PASSWORD, role: 'viewer' });
        expect(refused.status).toBe(500);
        expect(refused.body).toEqual({
          statusCode: 500,
          error: 'Internal Server Error',
          message: 'internal error',
          requestId: expect.any(String),
        });
      } finally {
        await sql.query('DROP TRIGGER vz_test_refuse_audit ON audit_events');
        await sql.query('DROP FUNCTION vz_test_refuse_audit()');
      }
      const stored = await sql.query('SELECT 1 FROM users WHERE username = $1', [username]);
      expect(stored.rowCount).toBe(0);
      expect((await anonymous.post('/auth/login', { username, password: PASSWORD })).status).toBe(401);
    });

    it('answers a failed user write with a bare 500 and logs no password hash', async () => {
      const username = `failing-${run}`;
      await sql.query(`
        CREATE OR REPLACE FUNCTION vz_test_refuse_user() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.username = '${username}' THEN
            RAISE EXCEPTION 'user write refused by the test';
          END IF;
          RETURN NEW;
        END $$`);
      await sql.query(`CREATE TRIGGER vz_test_refuse_user BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION vz_test_refuse_user()`);
      let requestId: string;
      try {
        const refused = await admin.post('/users', { username, password: PASSWORD, role: 'viewer' });
        expect(refused.status).toBe(500);
        expect(refused.body).toEqual({
          statusCode: 500,
          error: 'Internal Server Error',
          message: 'internal error',
          requestId: expect.any(String),
        });
        requestId = refused.body.requestId as string;
      } finally {
        await sql.query('DROP TRIGGER vz_test_refuse_user ON users');
        await sql.query('DROP FUNCTION vz_test_refuse_user()');
      }
      await waitFor(() => gateway.logs().includes(requestId), 5_000, 'the failed request in the gateway log');
      const lines = gateway
        .logs()
        .split('\n')
        .filter((line) => line.includes(requestId));
      expect(lines.some((line) => line.includes('user write refused by the test'))).toBe(true);
      expect(lines.join('\n')).not.toMatch(/\$argon2/);
    });
  });

  describe('GET /audit/verify', () => {
    it('returns the chain head (id, hash, count) and finds a pinned head after later rows', async () => {
      const first = await admin.get('/audit/verify');
      expect(first.status).toBe(200);
      expect(first.body).toEqual(
        expect.objectContaining({
          valid: true,
          head: { id: expect.any(String), hash: expect.stringMatching(/^[0-9a-f]{64}$/), count: first.body.checked },
        }),
      );
      const pinned = first.body.head as { hash: string; count: number };

      await newUser('viewer');
      const later = await admin.get(`/audit/verify?pinnedHash=${pinned.hash}`);
      expect(later.status).toBe(200);
      expect(later.body.valid).toBe(true);
      expect(later.body.head.count).toBeGreaterThan(pinned.count);
      expect(later.body.pinned).toEqual({ hash: pinned.hash, position: pinned.count });

      const unknown = await admin.get(`/audit/verify?pinnedHash=${'f'.repeat(64)}`);
      expect(unknown.body.pinned).toEqual({ hash: 'f'.repeat(64), position: null });
      const bad = await admin.get('/audit/verify?pinnedHash=nope');
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body.message)).toMatch(/pinnedHash/);
    });
  });

  describe('four eyes (REQUIRE_SEPARATE_APPROVER, default true)', () => {
    const patch = (name: string) => ({ name, apply: ['true'], rollback: ['true'], verify: 'false', timeoutSeconds: 30 });

    it("refuses with 403 and why a patch's approval by the user who created it, by session or by key, and lets a second user approve", async () => {
      const created = await admin.post('/patches', patch(`self-${run}`));
      expect(created.status).toBe(201);

      const self = await admin.post(`/patches/${created.body.id}/approve`);
      expect(self.status).toBe(403);
      expect(self.body.message).toMatch(/created by you .*another user must approve it/);
      const adminKey = await newKey(admin, 'admin');
      expect((await anonymous.withToken(adminKey.key).post(`/patches/${created.body.id}/approve`)).status).toBe(403);
      expect((await admin.get(`/patches/${created.body.id}`)).body.status).toBe('draft');

      const approver = await newUser('operator');
      const approved = await approver.client.post(`/patches/${created.body.id}/approve`);
      expect(approved.status).toBe(200);
      expect(approved.body).toEqual(
        expect.objectContaining({ status: 'approved', approvedBy: approver.username, createdBy: TEST_ADMIN.username }),
      );
      const [event] = await auditEvents((e) => e.requestId === approved.headers.get('x-request-id'));
      expect(event).toEqual(
        expect.objectContaining({
          action: 'patch.approve',
          actorName: approver.username,
          detail: expect.objectContaining({ status: { from: 'draft', to: 'approved' } }),
        }),
      );
    });
  });

  describe('the last admin', () => {
    it('survives two admins demoting each other at the same moment, round after round: exactly one stays admin', async () => {
      const me = (await admin.get('/auth/me')).body as { id: string };
      // Only two active admins in each race: the others (from other suites) step aside, and come back after.
      const others = (
        await sql.query<{ id: string }>(
          `UPDATE users SET role = 'operator', token_version = token_version + 1 WHERE role = 'admin' AND NOT disabled AND id <> $1 RETURNING id`,
          [me.id],
        )
      ).rows.map((row) => row.id);
      try {
        for (let round = 0; round < 5; round += 1) {
          admin = await anonymous.login(TEST_ADMIN.username, TEST_ADMIN.password);
          const second = await newUser('admin');
          // Both sessions known to the gateway already, so neither request waits for its token's lookup.
          expect((await admin.get('/auth/me')).status).toBe(200);
          expect((await second.client.get('/auth/me')).status).toBe(200);

          const [byAdmin, bySecond] = await Promise.all([
            admin.patch(`/users/${second.id}`, { role: 'operator' }),
            second.client.patch(`/users/${me.id}`, { role: 'operator' }),
          ]);

          const active = await sql.query(`SELECT id FROM users WHERE role = 'admin' AND NOT disabled`);
          expect({ round, admins: active.rowCount, succeeded: [byAdmin.status, bySecond.status].filter((s) => s === 200).length }).toEqual({
            round,
            admins: 1,
            succeeded: 1,
          });
          expect([byAdmin, bySecond].find((r) => r.status === 409)?.body.message ?? 'last active admin').toMatch(/last active admin/);
          await sql.query(`UPDATE users SET role = 'admin', token_version = token_version + 1 WHERE id = $1`, [me.id]);
          await sql.query(`UPDATE users SET role = 'operator', disabled = true, token_version = token_version + 1 WHERE id = $1`, [
            second.id,
          ]);
        }
      } finally {
        await sql.query(`UPDATE users SET role = 'admin', token_version = token_version + 1 WHERE id = ANY($1::uuid[]) OR id = $2`, [
          others,
          me.id,
        ]);
        admin = await anonymous.login(TEST_ADMIN.username, TEST_ADMIN.password);
      }
    });
  });

  describe('worker decisions', () => {
    it('records the automatic rollback of a failing canary as system:worker, with the reason', async () => {
      worker = await startWorker();
      await fleet.start(3);
      for (const host of fleet.hosts) {
        await fleet.writeHostFile(host, 'app/version', '1.0');
        await fleet.writeHostFile(host, 'app/health', 'ok');
      }
      const credential = await admin.post('/credentials', {
        name: `audit-fleet-${run}`,
        username: fleet.username,
        privateKey: fleet.privateKey,
      });
      expect(credential.status).toBe(201);
      const bulk = await admin.post('/hosts/bulk', {
        hosts: fleet.hosts.map((h) => ({
          name: `${run}-${h.name}`,
          address: h.address,
          port: h.port,
          credentialId: credential.body.id,
          hostKey: h.hostKey,
        })),
      });
      expect(bulk.status).toBe(201);
      const hostIds = (bulk.body.items as { id: string; name: string }[]).sort((a, b) => a.name.localeCompare(b.name)).map((h) => h.id);
      const breakSecond = `if [ "$VZ_HOST_NAME" = ${fleet.hosts[1]!.name} ]; then printf broken > "$VZ_STATE_DIR/app/health"; fi`;
      const created = await admin.post('/patches', {
        name: `audited-rollback-${run}`,
        capture: { previousVersion: 'cat "$VZ_STATE_DIR/app/version"' },
        apply: ['printf %s 2.0 > "$VZ_STATE_DIR/app/version"', breakSecond],
        rollback: ['printf %s {{previousVersion}} > "$VZ_STATE_DIR/app/version"', 'printf ok > "$VZ_STATE_DIR/app/health"'],
        verify: 'grep -qx 2.0 "$VZ_STATE_DIR/app/version"',
        healthChecks: [{ type: 'command', command: 'test "$(cat "$VZ_STATE_DIR/app/health")" = ok', timeoutSeconds: 2 }],
        timeoutSeconds: 30,
      });
      expect(created.status).toBe(201);
      const approver = await newUser('operator');
      expect((await approver.client.post(`/patches/${created.body.id}/approve`)).status).toBe(200);

      const accepted = await admin.post('/deployments', {
        patchId: created.body.id,
        targets: { hostIds },
        strategy: { type: 'canary', steps: [1, 2, 3], maxParallel: 1 },
      });
      expect(accepted.status).toBe(202);
      const task = await admin.waitForTask(accepted.body.taskId);
      expect(task.result).toEqual({ deploymentStatus: 'rolled_back' });

      const deploymentId = accepted.body.deploymentId as string;
      const events = await auditEvents((e) => e.resourceId === deploymentId);
      expect(events.map((e) => e.action).sort()).toEqual(['deployment.create', 'deployment.rollback.automatic']);
      expect(events.find((e) => e.action === 'deployment.create')).toEqual(
        expect.objectContaining({ actorKind: 'user', actorName: TEST_ADMIN.username }),
      );
      expect(events.find((e) => e.action === 'deployment.rollback.automatic')).toEqual(
        expect.objectContaining({
          actorKind: 'system',
          actorName: 'system:worker',
          actorId: null,
          requestId: null,
          detail: expect.objectContaining({ status: { from: 'running', to: 'rolling_back' }, reason: expect.stringMatching(/failed/) }),
        }),
      );
      expect((await admin.get('/audit/verify')).body.valid).toBe(true);
    });
  });
});
