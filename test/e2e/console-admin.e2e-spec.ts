import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, Page } from 'playwright-core';
import { runMigrations } from '../../libs/database/src/migrator';
import { AppProcess, startGateway, startWorker } from '../harness/app-process';
import { PrivatePostgres, PrivateRedis, startPrivatePostgres, startPrivateRedis } from '../harness/private-services';
import { ApiClient, TEST_ADMIN } from '../harness/api-client';
import { randomSuffix, REPO_ROOT } from '../harness/test-env';
import { SshFleet } from '../fleet/fleet';
import {
  clipboardText,
  goInApp,
  horizontalOverflow,
  launchChromium,
  logIn,
  waitForFocusOn,
  waitForRowCount,
  watchProblems,
} from './console-browser';

jest.setTimeout(240_000);

// The console's lists and admin pages in a real browser (Debian's chromium via
// playwright-core) against the built gateway and worker, PostgreSQL, Redis and
// two real sshd hosts on 127.73.0.x: findings from a real scan, patches,
// hosts, tasks, users, API keys, the audit trail, role-gated navigation, a
// phone-width layout, and a 300-host rollout in the windowed host grid.

const OSV_FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'osv', 'debian-fleet.osv.json');
const ARCH = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
const OPERATOR_PASSWORD = 'Operator-Console-Pass-2026';
const VIEWER_PASSWORD = 'Viewer-Console-Admin-2026';
const OPENSSL_FIX = '3.0.15-1~deb12u1';
const BIG = 300;

/** A dpkg database with a critical (openssl), a high (curl) and a low finding without a fix (libxml2). */
const DPKG_STATUS = [
  ['openssl', '3.0.11-1~deb12u2'],
  ['curl', '7.88.1-10+deb12u5'],
  ['libxml2', '2.9.14+dfsg-1.3~deb12u1'],
  ['bash', '5.2.15-2+b7'],
]
  .map(([name, version]) =>
    [
      `Package: ${name}`,
      'Status: install ok installed',
      'Priority: optional',
      `Architecture: ${ARCH}`,
      `Version: ${version}`,
      `Description: ${name}`,
      '',
    ].join('\n'),
  )
  .join('\n');

describe('web console: lists, admin and a 300-host rollout (chromium + gateway + worker + sshd)', () => {
  const fleet = new SshFleet({ subnet: '127.73' });
  const run = randomSuffix();
  const suite = `admin-${run}`;
  let gateway: AppProcess;
  let worker: AppProcess;
  let api: ApiClient;
  let browser: Browser;
  let credentialId: string;
  let trustHostId: string;
  // Its own PostgreSQL and Redis: its advisories, generated patches, audit
  // rows and scan rate-limit counters must not leak into other suites.
  let pg: PrivatePostgres;
  let redis: PrivateRedis;

  async function newPage(width = 1280, height = 900): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width, height } });
    const page = await context.newPage();
    return { page, problems: watchProblems(page) };
  }

  const rowsOf = (page: Page, table: string) => page.getByRole('table', { name: table }).locator('tbody tr');

  beforeAll(async () => {
    await fleet.start(2);
    await fleet.writeHostFile(fleet.hosts[0]!, 'dpkg/status', DPKG_STATUS);
    // Many scans in a few seconds make the tasks list page; the default limit is 10 a minute.
    [pg, redis] = await Promise.all([startPrivatePostgres((url) => runMigrations(url, false)), startPrivateRedis()]);
    const stores = { DATABASE_URL: pg.url, REDIS_URL: redis.url };
    [gateway, worker] = await Promise.all([startGateway({ ...stores, SCAN_RATE_LIMIT_PER_MINUTE: '500' }), startWorker(stores)]);
    api = await new ApiClient(gateway.url).login(TEST_ADMIN.username, TEST_ADMIN.password);
    const credential = await api.post('/credentials', {
      name: `console-admin-${run}`,
      username: fleet.username,
      privateKey: fleet.privateKey,
    });
    expect(credential.status).toBe(201);
    credentialId = credential.body.id;
    const [scanned, unpinned] = fleet.hosts;
    const bulk = await api.post('/hosts/bulk', {
      hosts: [
        {
          name: `${run}-scanned`,
          address: scanned!.address,
          port: scanned!.port,
          credentialId,
          hostKey: scanned!.hostKey,
          labels: { suite, role: 'web' },
        },
        // Registered without its key: it waits for an operator's trust.
        { name: `${run}-unpinned`, address: unpinned!.address, port: unpinned!.port, credentialId, labels: { suite, role: 'db' } },
      ],
    });
    expect(bulk.status).toBe(201);
    const [scannedHost, unpinnedHost] = bulk.body.items as { id: string }[];
    trustHostId = unpinnedHost!.id;
    for (const [username, password, role] of [
      [`operator-${run}`, OPERATOR_PASSWORD, 'operator'],
      [`viewer-${run}`, VIEWER_PASSWORD, 'viewer'],
    ]) {
      expect((await api.post('/users', { username, password, role })).status).toBe(201);
    }
    const imported = await fetch(`${gateway.url}/advisories/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${(api as unknown as { token: string }).token}` },
      body: readFileSync(OSV_FIXTURE, 'utf8'),
    });
    expect(imported.status).toBe(200);
    const scan = await api.post('/scans', { targets: { hostIds: [scannedHost!.id] } });
    expect(scan.status).toBe(202);
    expect((await api.waitForTask(scan.body.taskId)).status).toBe('succeeded');
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([gateway?.stop(), worker?.stop()]);
    await Promise.all([fleet.stop(), pg?.destroy(), redis?.stop()]);
  });

  it('lists findings by severity, makes a patch from one, and an operator approves it behind a confirmation', async () => {
    const critical = (await api.get('/findings?severity=critical&status=open&limit=500')).body.items as { package: string }[];
    expect(critical.map((f) => f.package).sort()).toEqual(['openssl']);
    const { page, problems } = await newPage();
    await logIn(page, `${gateway.url}/ui/findings`, `operator-${run}`, OPERATOR_PASSWORD);
    const rows = rowsOf(page, 'Findings, newest first');
    await rows.first().waitFor();
    await expect(
      rows.locator('[data-severity]').evaluateAll((cells) => cells.map((c) => c.getAttribute('data-severity')).sort()),
    ).resolves.toEqual(['critical', 'high', 'low']);
    // The finding without a fixed version offers no patch.
    await expect(page.locator('tr[data-package="libxml2"]').getByRole('button').count()).resolves.toBe(0);

    await page.getByRole('checkbox', { name: 'critical' }).check();
    await page.locator('tr[data-package="curl"]').waitFor({ state: 'detached' });
    await expect(
      rows.locator('[data-severity]').evaluateAll((cells) => cells.map((c) => c.getAttribute('data-severity'))),
    ).resolves.toEqual(['critical']);
    await page.getByRole('checkbox', { name: 'high' }).check();
    await page.locator('tr[data-package="curl"]').waitFor();
    await expect(rows.count()).resolves.toBe(2);

    await page.locator('tr[data-package="openssl"]').getByRole('button', { name: 'Make patch' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toContain(
      `Created draft patch "openssl ${OPENSSL_FIX}" for 1 open finding of openssl`,
    );
    await page
      .locator('tr[data-package="openssl"]')
      .getByRole('link', { name: /^patch / })
      .waitFor();
    await page.screenshot({ path: join(REPO_ROOT, 'docs', 'images', 'findings.png'), fullPage: true });
    const patches = (await api.get('/patches?status=draft&limit=500')).body.items as { id: string; name: string }[];
    const patch = patches.find((p) => p.name === `openssl ${OPENSSL_FIX}`);
    expect(patch).toBeDefined();

    await page.getByRole('navigation').getByRole('link', { name: 'Patches' }).click();
    const row = page.locator(`tr[data-patch="${patch!.id}"]`);
    await expect(row.locator('[data-status]').getAttribute('data-status')).resolves.toBe('draft');
    await row.getByText(`apt source openssl=${OPENSSL_FIX}`).click();
    await expect(row.locator('dl.def').textContent()).resolves.toContain(`apt-get install`);
    await row.getByRole('button', { name: 'Approve' }).click();
    await expect(page.getByRole('dialog').textContent()).resolves.toContain('its commands can never change again');
    await page.getByRole('dialog').getByRole('button', { name: 'Keep as is' }).click();
    expect((await api.get(`/patches/${patch!.id}`)).body.status).toBe('draft');
    await row.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('dialog').locator('[data-confirm="yes"]').click();
    await row.locator('[data-status="approved"]').waitFor();
    await expect(row.getByRole('button', { name: 'Approve' }).count()).resolves.toBe(0);
    const approved = (await api.get(`/patches/${patch!.id}`)).body;
    expect(approved).toEqual(expect.objectContaining({ status: 'approved', approvedBy: `operator-${run}` }));
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('filters hosts by label, shows the API refusing a bad filter in words, and trusts a host key behind a confirmation', async () => {
    const { page, problems } = await newPage();
    await logIn(page, `${gateway.url}/ui/hosts`, `operator-${run}`, OPERATOR_PASSWORD);
    const rows = rowsOf(page, 'Hosts');
    await page.getByLabel('Labels').fill(`suite=${suite} role=db`);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.locator('tr', { hasText: `${run}-scanned` }).waitFor({ state: 'detached' });
    await expect(rows.locator('td:first-child').allTextContents()).resolves.toEqual([`${run}-unpinned`]);
    const row = rows.first();
    await expect(row.locator('[data-status]').getAttribute('data-status')).resolves.toBe('unpinned');

    await row.getByRole('button', { name: 'Trust key' }).click();
    await expect(page.getByRole('dialog').textContent()).resolves.toContain(
      `connects once to ${fleet.hosts[1]!.address}:${fleet.hosts[1]!.port}`,
    );
    await page.getByRole('dialog').locator('[data-confirm="yes"]').click();
    await row.locator('[data-status="pinned"]').waitFor();
    const host = (await api.get(`/hosts/${trustHostId}`)).body;
    expect(host).toEqual(expect.objectContaining({ hostKeyStatus: 'pinned', hostKeyTrustedBy: `operator-${run}` }));
    await expect(page.getByRole('status').textContent()).resolves.toBe(
      `Pinned the host key of ${run}-unpinned: ${host.hostKeyFingerprint}.`,
    );
    await expect(row.getByRole('button', { name: 'Trust key' }).count()).resolves.toBe(0);

    await page.getByLabel('Labels').fill('no-equals-sign');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/label/i);
    expect(problems.filter((p) => !/status of 400|^response: 400 \/hosts$/.test(p))).toEqual([]);
    await page.context().close();
  });

  it('lists tasks newest first, filters them by type and status, and pages with "Load more"', async () => {
    // 55 scans of a host whose key was never pinned: each is a task that ends at once, nothing is contacted.
    const lonely = await api.post('/hosts', {
      name: `${run}-never-pinned`,
      address: '127.73.250.1',
      port: 2222,
      credentialId,
      labels: { suite: `${suite}-lonely` },
    });
    expect(lonely.status).toBe(201);
    const scans = [];
    for (let i = 0; i < 55; i++) {
      const accepted = await api.post('/scans', { targets: { hostIds: [lonely.body.id] } });
      expect(accepted.status).toBe(202);
      scans.push(accepted.body.taskId as string);
    }
    await Promise.all(scans.map((id) => api.waitForTask(id)));
    const expected = (await api.get('/tasks?type=scan&limit=500')).body.items as { id: string; status: string; createdAt: string }[];
    expect(expected.length).toBeGreaterThan(50);

    const { page, problems } = await newPage();
    await logIn(page, `${gateway.url}/ui/deployments`, TEST_ADMIN.username, TEST_ADMIN.password);
    await page.getByRole('navigation').getByRole('link', { name: 'Tasks' }).click();
    const rows = rowsOf(page, 'Tasks, newest first');
    await page.getByLabel('Type').selectOption('scan');
    await waitForRowCount(page, 'Tasks, newest first', 50);
    await expect(rows.locator('td:nth-child(2)').allTextContents()).resolves.toEqual(Array(50).fill('scan'));
    await page.getByRole('button', { name: 'Load more' }).waitFor();
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.locator(`tr[data-task="${expected.at(-1)!.id}"]`).waitFor();
    // Newest first, every scan task once, in the API's order.
    await expect(rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-task')))).resolves.toEqual(expected.map((t) => t.id));
    await expect(page.getByRole('button', { name: 'Load more' }).count()).resolves.toBe(expected.length > 100 ? 1 : 0);

    const status = expected[0]!.status;
    await page.getByLabel('Status').selectOption(status);
    const filtered = (await api.get(`/tasks?type=scan&status=${status}&limit=500`)).body.items as { id: string }[];
    await waitForRowCount(page, 'Tasks, newest first', Math.min(50, filtered.length));
    await expect(
      rows.locator('[data-status]').evaluateAll((b) => [...new Set(b.map((x) => x.getAttribute('data-status')))]),
    ).resolves.toEqual([status]);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('lets an admin create, re-role and disable users, create an API key shown once with a copy button, revoke it, and read the verified audit trail', async () => {
    const { page, problems } = await newPage();
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: gateway.url });
    await logIn(page, `${gateway.url}/ui/users`, TEST_ADMIN.username, TEST_ADMIN.password);
    const username = `alice-${run}`;
    const password = 'Alice-Console-Pass-2026';

    // The password policy's refusal, in words.
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Initial password').fill(username.padEnd(12, '0'));
    await page.getByRole('button', { name: 'Create user' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(new RegExp(`^Creating ${username} failed: .*password`, 'i'));

    await page.getByLabel('Initial password').fill(password);
    await page.locator('select[name="new-role"]').selectOption('deployer');
    await page.getByRole('button', { name: 'Create user' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toBe(`Created ${username} (deployer).`);
    const row = page.locator(`tr[data-user="${username}"]`);
    const alice = ((await api.get('/users?limit=500')).body.items as { id: string; username: string }[]).find(
      (u) => u.username === username,
    )!;

    await row.getByLabel(`Role of ${username}`).selectOption('operator');
    await expect(page.getByRole('dialog').textContent()).resolves.toContain('Changing the role ends their signed-in sessions');
    await page.getByRole('dialog').locator('[data-confirm="yes"]').click();
    await expect(page.getByRole('status').textContent()).resolves.toBe(`${username} is now operator.`);
    await expect(row.getByLabel(`Role of ${username}`).inputValue()).resolves.toBe('operator');
    expect((await api.get(`/users/${alice.id}`)).body.role).toBe('operator');

    await row.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('dialog').locator('[data-confirm="yes"]').click();
    await row.locator('[data-status="disabled"]').waitFor();
    expect((await api.get(`/users/${alice.id}`)).body.disabled).toBe(true);
    expect((await new ApiClient(gateway.url).post('/auth/login', { username, password })).status).toBe(401);

    // API keys: the key once, a working copy button, then revoked.
    await page.getByRole('navigation').getByRole('link', { name: 'API keys' }).click();
    await page.getByLabel('Name').fill(`ci-${run}`);
    await page.locator('select[name="key-role"]').selectOption('deployer');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByTestId('new-key');
    await shown.waitFor();
    const key = await shown.inputValue();
    expect(key).toMatch(/^vz_/);
    await page.getByRole('button', { name: 'Copy' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toBe('Copied to the clipboard.');
    expect(await clipboardText(page)).toBe(key);
    const withKey = new ApiClient(gateway.url).withToken(key);
    expect((await withKey.get('/auth/me')).body.role).toBe('deployer');
    await page.screenshot({ path: join(REPO_ROOT, 'docs', 'images', 'api-keys.png'), fullPage: true });
    await page.getByRole('button', { name: 'Done' }).click();
    await expect(page.content()).resolves.not.toContain(key);

    const keyRow = page.locator(`tr[data-key="ci-${run}"]`);
    await keyRow.getByRole('button', { name: 'Revoke' }).click();
    await expect(page.getByRole('dialog').textContent()).resolves.toContain('This cannot be undone');
    await page.getByRole('dialog').locator('[data-confirm="yes"]').click();
    await keyRow.locator('[data-status="revoked"]').waitFor();
    expect((await withKey.get('/auth/me')).status).toBe(401);

    // The audit trail, paged, and the chain's check.
    await page.getByRole('navigation').getByRole('link', { name: 'Audit' }).click();
    const verdict = page.getByTestId('chain-verdict');
    await expect(verdict.getAttribute('data-valid')).resolves.toBe('true');
    await expect(verdict.textContent()).resolves.toMatch(/^Chain intact: \d+ entries checked, every hash and link matches\.$/);
    const rows = rowsOf(page, 'Audit trail, newest first');
    await page.getByRole('button', { name: 'Load more' }).waitFor();
    await expect(rows.count()).resolves.toBe(25);
    await page.screenshot({ path: join(REPO_ROOT, 'docs', 'images', 'audit.png') });
    await page.getByRole('button', { name: 'Load more' }).click();
    await waitForRowCount(page, 'Audit trail, newest first', 50);
    const ids = (await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-audit')))).map(Number);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(new Set(ids).size).toBe(50);
    // The revocation just made is on the first page, with its actor and outcome.
    await expect(rows.first().textContent()).resolves.toMatch(/admin/);
    expect(await rows.locator('code', { hasText: /api-key/i }).count()).toBeGreaterThan(0);
    // Only the refused weak password, as the browser reports it.
    expect(problems.filter((p) => !/status of 400|^response: 400 \/users$/.test(p))).toEqual([]);
    await page.context().close();
  });

  it('shows a viewer only the pages its role can use, no make-patch or approve button, and fits a 390 px phone screen', async () => {
    const { page, problems } = await newPage(390, 844);
    await logIn(page, `${gateway.url}/ui/findings`, `viewer-${run}`, VIEWER_PASSWORD);
    await expect(page.getByRole('navigation').getByRole('link').allTextContents()).resolves.toEqual([
      'Deployments',
      'Tasks',
      'Hosts',
      'Findings',
      'Patches',
    ]);
    const overflow = () => horizontalOverflow(page);

    await rowsOf(page, 'Findings, newest first').first().waitFor();
    await expect(page.getByRole('button', { name: 'Make patch' }).count()).resolves.toBe(0);
    expect(await overflow()).toBe(0);
    await page.getByRole('navigation').getByRole('link', { name: 'Patches' }).click();
    await rowsOf(page, 'Patches, newest first').first().waitFor();
    await expect(page.getByRole('button', { name: 'Approve' }).count()).resolves.toBe(0);
    expect(await overflow()).toBe(0);
    await page.getByRole('navigation').getByRole('link', { name: 'Hosts' }).click();
    await rowsOf(page, 'Hosts').first().waitFor();
    expect(await overflow()).toBe(0);
    // The nav wraps instead of pushing the page sideways.
    const nav = await page.getByRole('navigation').boundingBox();
    expect(nav!.x + nav!.width).toBeLessThanOrEqual(390);

    // A page the role cannot use says so instead of a blank page or a 403 in the console.
    await goInApp(page, '/ui/users');
    await expect(page.getByRole('alert').textContent()).resolves.toBe(
      'Your role (viewer) cannot use this page: it needs the users:manage permission.',
    );
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('renders a 300-host rollout windowed: fewer cells than hosts, and scrolling or the End key reaches the last host', async () => {
    // Pinned hosts on addresses where nothing listens: the canary's first host fails at once and the rest are skipped.
    const bulk = await api.post('/hosts/bulk', {
      hosts: Array.from({ length: BIG }, (_, i) => ({
        name: `${run}-big-${String(i).padStart(3, '0')}`,
        address: `127.73.${10 + Math.floor(i / 200)}.${(i % 200) + 1}`,
        port: 2222,
        credentialId,
        hostKey: fleet.hosts[0]!.hostKey,
        labels: { suite: `${suite}-big` },
      })),
    });
    expect(bulk.status).toBe(201);
    const patch = await api.post('/patches', {
      name: `big-${run}`,
      apply: ['true'],
      rollback: ['true'],
      verify: 'true',
      timeoutSeconds: 10,
    });
    expect(patch.status).toBe(201);
    expect((await api.post(`/patches/${patch.body.id}/approve`)).status).toBe(200);
    const created = await api.post('/deployments', {
      patchId: patch.body.id,
      targets: { labels: { suite: `${suite}-big` } },
      strategy: { type: 'canary', steps: [1, '100%'], maxParallel: 1, maxFailures: 0, bakeSeconds: 0 },
    });
    expect(created.status).toBe(202);
    const deploymentId: string = created.body.deploymentId;
    const hosts = (await api.get(`/deployments/${deploymentId}`)).body.hosts as { hostName: string }[];
    expect(hosts).toHaveLength(BIG);
    const first = hosts[0]!.hostName;
    const last = hosts.at(-1)!.hostName;

    const { page, problems } = await newPage();
    await logIn(page, `${gateway.url}/ui/deployments/${deploymentId}`, TEST_ADMIN.username, TEST_ADMIN.password);
    const grid = page.locator(`.grid[data-count="${BIG}"]`);
    await grid.locator(`.host[data-host="${first}"]`).waitFor();
    const rendered = await grid.locator('.host').count();
    expect(rendered).toBeGreaterThan(0);
    expect(rendered).toBeLessThan(BIG / 2);
    await expect(grid.locator(`.host[data-host="${last}"]`).count()).resolves.toBe(0);

    // Scrolling to the bottom brings the last host in and drops the first.
    await grid.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await grid.locator(`.host[data-host="${last}"]`).waitFor();
    await expect(grid.locator(`.host[data-host="${first}"]`).count()).resolves.toBe(0);
    expect(await grid.locator('.host').count()).toBeLessThan(BIG / 2);

    // Keyboard: one tab stop in the grid; Home and End move focus to the first and last host.
    await grid.evaluate((el) => (el.scrollTop = 0));
    await grid.locator(`.host[data-host="${first}"]`).waitFor();
    await expect(grid.locator('.host[tabindex="0"]').count()).resolves.toBe(1);
    await grid.locator(`.host[data-host="${first}"]`).focus();
    await page.keyboard.press('End');
    await waitForFocusOn(page, last);
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('host-detail').getByRole('heading', { level: 3 }).textContent()).resolves.toContain(last);
    await page.keyboard.press('Home');
    await waitForFocusOn(page, first);
    await page
      .locator('[data-testid="deployment-status"]:not([data-status="pending"]):not([data-status="running"])')
      .waitFor({ timeout: 120_000 });
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
