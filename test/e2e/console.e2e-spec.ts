import { join } from 'node:path';
import { Browser, Page } from 'playwright-core';
import { AppProcess, startGateway, startWorker } from '../harness/app-process';
import { ApiClient, TEST_ADMIN } from '../harness/api-client';
import { registerFleetHosts } from '../harness/fleet-hosts';
import { randomSuffix, REPO_ROOT } from '../harness/test-env';
import { SshFleet } from '../fleet/fleet';
import { launchChromium, watchProblems } from './console-browser';
import { breakHealthOn, filePatch } from '../harness/file-patch';

jest.setTimeout(180_000);

// The web console in a real browser (Debian's chromium, driven by
// playwright-core) against the built gateway and worker on a real sshd fleet.

const VIEWER_PASSWORD = 'Viewer-Console-Pass-2026';

describe('web console (chromium + gateway + worker + sshd fleet)', () => {
  const fleet = new SshFleet({ subnet: '127.73' });
  const run = randomSuffix();
  let gateway: AppProcess;
  let worker: AppProcess;
  let api: ApiClient;
  let browser: Browser;
  let hostIds: string[] = [];
  let hostNames: string[] = [];

  async function resetFiles(): Promise<void> {
    await Promise.all(
      fleet.hosts.map(async (h) => {
        await fleet.writeHostFile(h, 'app/version', '1.0');
        await fleet.writeHostFile(h, 'app/health', 'ok');
      }),
    );
  }

  async function newPage(): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    return { page, problems: watchProblems(page) };
  }

  async function logIn(page: Page, path: string, username: string, password: string): Promise<void> {
    const response = await page.goto(`${gateway.url}${path}`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('who').waitFor();
  }

  beforeAll(async () => {
    await fleet.start(6);
    [gateway, worker] = await Promise.all([startGateway(), startWorker()]);
    api = await new ApiClient(gateway.url).login(TEST_ADMIN.username, TEST_ADMIN.password);
    const { hosts } = await registerFleetHosts(api, fleet, run, { suite: `console-${run}` });
    hostIds = hosts.map((h) => h.id);
    hostNames = hosts.map((h) => h.name);
    expect((await api.post('/users', { username: `viewer-${run}`, password: VIEWER_PASSWORD, role: 'viewer' })).status).toBe(201);

    browser = await launchChromium();
  });

  beforeEach(() => resetFiles());

  afterAll(async () => {
    await browser?.close();
    await Promise.all([gateway?.stop(), worker?.stop()]);
    await fleet.stop();
  });

  it('serves the page without auth under the strict CSP, with hashed assets and client routes', async () => {
    const index = await fetch(`${gateway.url}/ui/deployments/anything`);
    expect(index.status).toBe(200);
    const csp = index.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await index.text();
    expect(html).not.toMatch(/<script>|<style|style=/);
    const script = /src="(\/ui\/assets\/app-[A-Z0-9]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${gateway.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${gateway.url}/ui/assets/app-NOPE.js`)).status).toBe(404);
    // Not part of the API: the OpenAPI document does not list it.
    const openapi = await api.get('/docs-json');
    expect(openapi.status).toBe(200);
    expect(Object.keys(openapi.body.paths).some((p: string) => p.startsWith('/ui'))).toBe(false);
  });

  it('logs in, follows a gated canary live through promote to "succeeded" with every host green, and shows a host record', async () => {
    const { page, problems } = await newPage();
    await logIn(page, '/ui', TEST_ADMIN.username, TEST_ADMIN.password);
    await expect(page.getByTestId('who').textContent()).resolves.toContain('admin');

    const patchId = await api.approvedPatch(filePatch(`console-good-${run}`, { restoresHealth: true }));
    const created = await api.post('/deployments', {
      patchId,
      targets: { hostIds: hostIds.slice(0, 5) },
      strategy: { type: 'canary', steps: [1, '100%'], maxParallel: 2, bakeSeconds: 0, pauseAfterStep: [0] },
    });
    expect(created.status).toBe(202);
    const deploymentId: string = created.body.deploymentId;

    // Reach the rollout through the list, as a user would: no page load, the token stays in memory.
    await page.evaluate(() => ((globalThis as unknown as { vzMarker: string }).vzMarker = 'same-page'));
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByRole('link', { name: deploymentId.slice(0, 8) }).click();
    await page.waitForURL(`**/ui/deployments/${deploymentId}`);

    // The canary stops at its gate; the page shows it without a reload.
    await page.locator('[data-testid="deployment-status"][data-status="paused"]').waitFor({ timeout: 60_000 });
    await expect(page.locator('.grid .host').count()).resolves.toBe(5);
    await expect(page.locator('.grid .host[data-status="healthy"]').count()).resolves.toBe(1);

    // Promote asks first; "Keep as is" changes nothing.
    await page.locator('button[data-action="promote"]').click();
    await page.getByRole('dialog').getByRole('button', { name: 'Keep as is' }).click();
    expect((await api.get(`/deployments/${deploymentId}`)).body.status).toBe('paused');
    await page.locator('button[data-action="promote"]').click();
    await page.getByRole('dialog').locator('[data-confirm="yes"]').click();

    await page.locator('[data-testid="deployment-status"][data-status="succeeded"]').waitFor({ timeout: 90_000 });
    for (const name of hostNames.slice(0, 5)) await page.locator(`.grid .host[data-host="${name}"][data-status="healthy"]`).waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as { vzMarker?: string }).vzMarker)).toBe('same-page');
    expect(await page.locator('.step').evaluateAll((steps) => steps.map((s) => s.getAttribute('data-status')))).toEqual([
      'succeeded',
      'succeeded',
    ]);

    // A host's record: captured values, stored rollback, exit codes, output.
    await page.locator(`.grid .host[data-host="${hostNames[0]}"]`).click();
    const detail = page.getByTestId('host-detail');
    await expect(detail.getByTestId('rollback-commands').textContent()).resolves.toBe(
      `vz_cap_previousVersion='1.0'; printf %s "\${vz_cap_previousVersion?}" > "$VZ_STATE_DIR/app/version"\n` +
        `vz_cap_previousHealth='ok'; printf %s "\${vz_cap_previousHealth?}" > "$VZ_STATE_DIR/app/health"`,
    );
    await expect(detail.locator('.kv').textContent()).resolves.toContain('previousVersion1.0');
    await expect(detail.locator('.output .phase').allTextContents()).resolves.toEqual(
      expect.arrayContaining(['capture', 'apply', 'verify']),
    );
    await expect(detail.locator('.output li.bad').count()).resolves.toBe(0);
    await expect(page.locator('button[data-action="rollback"]').isVisible()).resolves.toBe(true);

    await page.screenshot({ path: join(REPO_ROOT, 'docs', 'images', 'rollout.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('shows a bad canary turning into "rolled_back" live, with each host\'s rollback and the reason it failed', async () => {
    const { page, problems } = await newPage();
    const breakSecond = breakHealthOn(hostNames[1]!.slice(run.length + 1));
    const patchId = await api.approvedPatch(filePatch(`console-bad-${run}`, { restoresHealth: true, extraApply: [breakSecond] }));
    const created = await api.post('/deployments', {
      patchId,
      targets: { hostIds: hostIds.slice(0, 5) },
      strategy: { type: 'canary', steps: [1, 3, '100%'], maxParallel: 1, bakeSeconds: 0, pauseAfterStep: [0] },
    });
    expect(created.status).toBe(202);
    const deploymentId: string = created.body.deploymentId;
    await logIn(page, `/ui/deployments/${deploymentId}`, TEST_ADMIN.username, TEST_ADMIN.password);
    await page.locator('[data-testid="deployment-status"][data-status="paused"]').waitFor({ timeout: 60_000 });
    await page.locator('button[data-action="promote"]').click();
    await page.getByRole('dialog').locator('[data-confirm="yes"]').click();

    await page.locator('[data-testid="deployment-status"][data-status="rolled_back"]').waitFor({ timeout: 90_000 });
    for (const name of hostNames.slice(0, 2)) await page.locator(`.grid .host[data-host="${name}"][data-status="rolled_back"]`).waitFor();
    await expect(page.locator(`.grid .host[data-host="${hostNames[4]}"]`).getAttribute('data-status')).resolves.toBe('skipped');
    await page.locator(`.grid .host[data-host="${hostNames[1]}"]`).click();
    const detail = page.getByTestId('host-detail');
    await expect(detail.locator('dd.error').textContent()).resolves.toMatch(/^health: /);
    await expect(detail.locator('.output .phase').allTextContents()).resolves.toEqual(
      expect.arrayContaining(['rollback', 'rollback-verify']),
    );
    await detail.getByText('Rolled back', { exact: true }).waitFor();
    const reason = (await api.get(`/deployments/${deploymentId}`)).body.error;
    await expect(page.getByRole('alert').first().textContent()).resolves.toContain(`${reason.code}: ${reason.message}`);
    await expect(detail.locator('.output li.bad .phase').allTextContents()).resolves.toEqual(['health']);
    await expect(detail.getByTestId('rollback-verified').textContent()).resolves.toMatch(
      /^yes: the patch's verify fails again \(exit [1-9]\d*\)$/,
    );
    await page.screenshot({ path: join(REPO_ROOT, 'docs', 'images', 'rollback.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('shows API errors in words and lists hosts with their host-key status', async () => {
    const { page, problems } = await newPage();
    await page.goto(`${gateway.url}/ui/deployments/00000000-0000-4000-8000-000000000000`);
    await page.getByLabel('Username').fill(TEST_ADMIN.username);
    await page.getByLabel('Password', { exact: true }).fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('Wrong username, password or API key.');

    await page.getByLabel('Password', { exact: true }).fill(TEST_ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/deployment 00000000-0000-4000-8000-000000000000.*not found/i);

    await page.getByRole('navigation').getByRole('link', { name: 'Hosts' }).click();
    // Other suites share this database, so their hosts may fill the first page: filter to this suite's.
    await page.getByRole('search').getByLabel('Labels').fill(`suite=console-${run}`);
    await page.getByRole('search').getByRole('button', { name: 'Filter' }).click();
    const row = page.getByRole('row').filter({ hasText: hostNames[0]! });
    await expect(row.locator('[data-status]').getAttribute('data-status')).resolves.toBe('pinned');
    await expect(row.getByRole('button', { name: 'Trust key' }).count()).resolves.toBe(0);
    // Only the two refused calls, as the browser reports them (order of the two reports varies).
    expect([...problems].sort()).toEqual([
      expect.stringMatching(/^console: .*status of 401/),
      expect.stringMatching(/^console: .*status of 404/),
      'response: 401 /auth/login',
      'response: 404 /deployments/00000000-0000-4000-8000-000000000000',
    ]);
    await page.context().close();
  });

  it('signs in with an API key; a deployer key gets the buttons its role allows and cancels a paused rollout', async () => {
    const key = await api.post('/api-keys', { name: `console-deployer-${run}`, role: 'deployer' });
    expect(key.status).toBe(201);
    const patchId = await api.approvedPatch(filePatch(`console-cancel-${run}`, { restoresHealth: true }));
    const created = await api.post('/deployments', {
      patchId,
      targets: { hostIds: hostIds.slice(0, 3) },
      strategy: { type: 'canary', steps: [1, '100%'], maxParallel: 1, bakeSeconds: 0, pauseAfterStep: [0] },
    });
    expect(created.status).toBe(202);
    const deploymentId: string = created.body.deploymentId;

    const { page, problems } = await newPage();
    await page.goto(`${gateway.url}/ui/deployments/${deploymentId}`);
    await page.getByRole('tab', { name: 'API key' }).click();
    await page.getByLabel('API key', { exact: true }).fill(key.body.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByTestId('who').textContent()).resolves.toContain('deployer');
    await page.locator('[data-testid="deployment-status"][data-status="paused"]').waitFor({ timeout: 60_000 });
    await page.locator('button[data-action="cancel"]').waitFor();
    expect(await page.locator('[data-action]').evaluateAll((buttons) => buttons.map((b) => b.getAttribute('data-action')))).toEqual([
      'promote',
      'cancel',
      'rollback',
    ]);

    await page.locator('button[data-action="cancel"]').click();
    await expect(page.getByRole('dialog').textContent()).resolves.toContain('Hosts already patched stay as recorded');
    await page.getByRole('dialog').locator('[data-confirm="yes"]').click();
    await page.locator('[data-testid="deployment-status"][data-status="cancelled"]').waitFor({ timeout: 60_000 });
    expect((await api.get(`/deployments/${deploymentId}`)).body.status).toBe('cancelled');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('explains a deployment paused by its schedule, offers cancel but no promote, and cancels it', async () => {
    const patchId = await api.approvedPatch(filePatch(`console-sched-${run}`, { restoresHealth: true }));
    const notBefore = new Date(Date.now() + 3_600_000).toISOString();
    const created = await api.post('/deployments', { patchId, targets: { hostIds: hostIds.slice(0, 1) }, notBefore });
    expect(created.status).toBe(202);
    const deploymentId: string = created.body.deploymentId;

    const { page, problems } = await newPage();
    await logIn(page, `/ui/deployments/${deploymentId}`, TEST_ADMIN.username, TEST_ADMIN.password);
    const notice = page.locator('[data-paused-reason="not_before"]');
    await notice.waitFor({ timeout: 60_000 });
    await expect(notice.textContent()).resolves.toContain('resumes by itself at');
    await expect(page.locator('[data-action="promote"]').count()).resolves.toBe(0);
    await page.locator('[data-action="cancel"]').click();
    await page.locator('[data-confirm="yes"]').click();
    await page.locator('[data-testid="deployment-status"][data-status="cancelled"]').waitFor({ timeout: 60_000 });
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('shows a viewer no promote, cancel or rollback button, and the API refuses a forged call from the page', async () => {
    const patchId = await api.approvedPatch(filePatch(`console-view-${run}`, { restoresHealth: true }));
    const created = await api.post('/deployments', {
      patchId,
      targets: { hostIds: hostIds.slice(0, 2) },
      strategy: { type: 'canary', steps: [1, '100%'], maxParallel: 1, bakeSeconds: 0, pauseAfterStep: [0] },
    });
    expect(created.status).toBe(202);
    const deploymentId: string = created.body.deploymentId;

    const { page, problems } = await newPage();
    await logIn(page, `/ui/deployments/${deploymentId}`, `viewer-${run}`, VIEWER_PASSWORD);
    await expect(page.getByTestId('who').textContent()).resolves.toContain('viewer');
    await page.locator('[data-testid="deployment-status"][data-status="paused"]').waitFor({ timeout: 60_000 });
    await page.locator('.grid .host[data-status="healthy"]').first().waitFor();
    await expect(page.locator('[data-action]').count()).resolves.toBe(0);

    const viewerToken = (
      await new ApiClient(gateway.url).request('POST', '/auth/login', { username: `viewer-${run}`, password: VIEWER_PASSWORD })
    ).body.accessToken as string;
    const forged = await page.evaluate(
      async ({ id, token }) =>
        (await fetch(`/deployments/${id}/promote`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } })).status,
      { id: deploymentId, token: viewerToken },
    );
    expect(forged).toBe(403);
    // The forged 403 is logged by the browser; nothing else may be, CSP violations least of all.
    expect(problems.filter((p) => !/status of 403|response: 403 \/deployments\/[0-9a-f-]+\/promote$/.test(p))).toEqual([]);
    await page.context().close();
    // Leave nothing running behind.
    expect((await api.post(`/deployments/${deploymentId}/cancel`)).status).toBe(200);
  });
});
