import { randomBytes } from 'node:crypto';
import { AppProcess, freePort, startGateway, startWorker, waitFor } from '../harness/app-process';
import { ApiClient, TEST_ADMIN } from '../harness/api-client';
import { appEnv, randomSuffix } from '../harness/test-env';
import { SshFleet } from '../fleet/fleet';
import { filePatch } from '../harness/file-patch';

jest.setTimeout(180_000);

// Observability end to end: real gateway and worker processes scraped over
// HTTP while they run deployments on real sshd hosts (127.67.0.x).

interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (enough of it: no escaped quotes in our label values). */
function parseExposition(text: string): Series[] {
  const series: Series[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) labels[pair[1] as string] = pair[2] as string;
    series.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return series;
}

/** The value of the one series of `name` whose labels include `labels`; 0 when absent (a counter not yet incremented). */
function valueOf(series: Series[], name: string, labels: Record<string, string> = {}): number {
  const found = series.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return found.reduce((sum, s) => sum + s.value, 0);
}

describe('metrics and logs (gateway + worker + sshd fleet)', () => {
  const fleet = new SshFleet({ subnet: '127.67' });
  const run = randomSuffix();
  const metricsToken = randomBytes(24).toString('hex');
  let gateway: AppProcess;
  let worker: AppProcess;
  let workerMetricsUrl: string;
  let api: ApiClient;
  let hostIds: string[] = [];
  let mismatchedHostId: string;

  async function scrape(url: string, token = metricsToken): Promise<Series[]> {
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`scrape of ${url}: ${response.status} ${text}`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseExposition(text);
  }
  const scrapeGateway = () => scrape(`${gateway.url}/metrics`);
  const scrapeWorker = () => scrape(workerMetricsUrl);

  async function deployAndWait(body: object): Promise<{ deploymentId: string; task: any }> {
    const response = await api.post('/deployments', body);
    if (response.status !== 202) throw new Error(`deploy refused: ${response.status} ${JSON.stringify(response.body)}`);
    let task: any;
    await waitFor(
      async () => {
        task = (await api.get(`/tasks/${response.body.taskId}`)).body;
        return ['succeeded', 'failed', 'cancelled'].includes(task.status);
      },
      90_000,
      `task ${response.body.taskId}`,
    ).catch((error: Error) => {
      throw new Error(`${error.message} (last state ${JSON.stringify(task)})\nworker log:\n${worker.logs().slice(-4000)}`);
    });
    return { deploymentId: response.body.deploymentId, task };
  }

  async function approvedPatch(name: string): Promise<string> {
    const created = await api.post('/patches', filePatch(`${name}-${run}`));
    expect(created.status).toBe(201);
    expect((await api.post(`/patches/${created.body.id}/approve`)).status).toBe(200);
    return created.body.id;
  }

  beforeAll(async () => {
    await fleet.start(3);
    const metricsPort = String(await freePort());
    workerMetricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    [gateway, worker] = await Promise.all([
      startGateway({ METRICS_TOKEN: metricsToken }),
      startWorker({ METRICS_TOKEN: metricsToken, METRICS_PORT: metricsPort, HOST: '127.0.0.1' }),
    ]);
    api = await new ApiClient(gateway.url).login(TEST_ADMIN.username, TEST_ADMIN.password);
    await Promise.all(
      fleet.hosts.map(async (h) => {
        await fleet.writeHostFile(h, 'app/version', '1.0');
        await fleet.writeHostFile(h, 'app/health', 'ok');
      }),
    );
    const credential = await api.post('/credentials', { name: `metrics-${run}`, username: fleet.username, privateKey: fleet.privateKey });
    expect(credential.status).toBe(201);
    const [a, b, c] = fleet.hosts as [(typeof fleet.hosts)[0], (typeof fleet.hosts)[0], (typeof fleet.hosts)[0]];
    const bulk = await api.post('/hosts/bulk', {
      hosts: [
        { name: `${run}-${a.name}`, address: a.address, port: a.port, credentialId: credential.body.id, hostKey: a.hostKey },
        { name: `${run}-${b.name}`, address: b.address, port: b.port, credentialId: credential.body.id, hostKey: b.hostKey },
        // Pinned to another host's key: the worker must refuse to talk to it.
        { name: `${run}-${c.name}`, address: c.address, port: c.port, credentialId: credential.body.id, hostKey: a.hostKey },
      ],
    });
    expect(bulk.status).toBe(201);
    const ids = (bulk.body.items as { id: string }[]).map((item) => item.id);
    hostIds = ids.slice(0, 2);
    mismatchedHostId = ids[2] as string;
  });

  afterAll(async () => {
    await Promise.all([gateway?.stop(), worker?.stop()]);
    await fleet.stop();
  });

  it('refuses /metrics without the scrape token, with a wrong one, and with a user token', async () => {
    const none = await new ApiClient(gateway.url).get('/metrics');
    expect(none.status).toBe(401);
    expect(none.body).toEqual(expect.objectContaining({ statusCode: 401, requestId: expect.any(String) }));
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);

    const wrong = await new ApiClient(gateway.url, `${metricsToken.slice(0, -1)}x`).get('/metrics');
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(wrong.body)).not.toContain('vulnzero_');
    // A user's JWT opens the API, not the scrape endpoint.
    expect((await api.get('/metrics')).status).toBe(401);

    const workerNone = await fetch(workerMetricsUrl);
    expect(workerNone.status).toBe(401);
    expect(await workerNone.text()).not.toContain('vulnzero_');
    const workerWrong = await fetch(workerMetricsUrl, { headers: { authorization: 'Bearer not-the-token-at-all' } });
    expect(workerWrong.status).toBe(401);
    expect((await fetch(workerMetricsUrl.replace('/metrics', '/health/live'))).status).toBe(200);
  });

  it('keeps /metrics out of the OpenAPI document', async () => {
    const document = (await new ApiClient(gateway.url).get('/docs-json')).body;
    expect(Object.keys(document.paths)).not.toContain('/metrics');
  });

  it('answers 404 on /metrics when no scrape token is configured', async () => {
    const bare = await startGateway({ METRICS_TOKEN: '' });
    try {
      const response = await new ApiClient(bare.url, metricsToken).get('/metrics');
      expect(response.status).toBe(404);
      expect(response.body).toEqual(expect.objectContaining({ statusCode: 404 }));
    } finally {
      await bare.stop();
    }
  });

  it('exposes process metrics and event-loop lag on gateway and worker, labelled by app', async () => {
    for (const [app, series] of [
      ['gateway', await scrapeGateway()],
      ['worker', await scrapeWorker()],
    ] as const) {
      expect(series.find((s) => s.name === 'process_cpu_seconds_total')?.labels.app).toBe(app);
      expect(series.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
      expect(series.some((s) => s.name === 'process_resident_memory_bytes' && s.value > 0)).toBe(true);
    }
    // A path no route matches is one `unmatched` series, whatever the path (scanners must not mint series).
    expect((await new ApiClient(gateway.url).get(`/no-such-route-${run}`)).status).toBe(404);
    const gatewaySeries = await scrapeGateway();
    expect(
      valueOf(gatewaySeries, 'vulnzero_http_request_duration_seconds_count', { route: 'unmatched', status: '404' }),
    ).toBeGreaterThanOrEqual(1);
    expect(gatewaySeries.some((s) => s.labels.route?.includes('no-such-route'))).toBe(false);
    for (const queue of ['scan', 'deploy', 'rollback']) {
      expect(gatewaySeries.some((s) => s.name === 'vulnzero_queue_jobs' && s.labels.queue === queue && s.labels.state === 'waiting')).toBe(
        true,
      );
    }
    expect(valueOf(gatewaySeries, 'vulnzero_metrics_source_up', { source: 'postgresql' })).toBe(1);
    expect(valueOf(gatewaySeries, 'vulnzero_metrics_source_up', { source: 'redis' })).toBe(1);
  });

  it('moves deployment, task, host-operation, rollback and SSH-error metrics as deployments run', async () => {
    const [gatewayBefore, workerBefore] = await Promise.all([scrapeGateway(), scrapeWorker()]);
    const succeeded = { strategy: 'canary', status: 'succeeded' };
    const rolledBack = { strategy: 'all-at-once', status: 'rolled_back' };
    const failedDeploy = { strategy: 'all-at-once', status: 'failed' };

    // A good canary on two hosts, then an operator's rollback of it.
    const good = await deployAndWait({
      patchId: await approvedPatch('good'),
      targets: { hostIds },
      strategy: { type: 'canary', steps: [1, '100%'], maxParallel: 2 },
    });
    expect(good.task.status).toBe('succeeded');
    const rollback = await api.post(`/deployments/${good.deploymentId}/rollback`);
    expect(rollback.status).toBe(202);
    await waitFor(async () => (await api.get(`/tasks/${rollback.body.taskId}`)).body.status === 'succeeded', 60_000, 'rollback task');
    // A host pinned to the wrong key: the connection is refused, the host fails.
    const mismatched = await deployAndWait({
      patchId: await approvedPatch('pinned'),
      targets: { hostIds: [mismatchedHostId] },
      strategy: { type: 'all-at-once' },
    });
    expect(mismatched.task.status).toBe('failed');

    // The worker counts what it did, as it does it.
    const workerAfter = await scrapeWorker();
    const workerDelta = (name: string, labels: Record<string, string>) =>
      valueOf(workerAfter, name, labels) - valueOf(workerBefore, name, labels);
    expect(workerDelta('vulnzero_host_operation_seconds_count', { phase: 'apply', outcome: 'ok' })).toBe(2);
    expect(workerDelta('vulnzero_host_operation_seconds_count', { phase: 'health', outcome: 'ok' })).toBeGreaterThanOrEqual(2);
    expect(workerDelta('vulnzero_host_operation_seconds_count', { phase: 'rollback', outcome: 'ok' })).toBe(2);
    expect(workerDelta('vulnzero_host_rollbacks_total', { outcome: 'ok' })).toBe(2);
    expect(workerDelta('vulnzero_ssh_connection_errors_total', { kind: 'host_key_mismatch' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(workerAfter, 'vulnzero_host_operation_seconds_sum', { phase: 'apply' })).toBeGreaterThan(0);

    // The gateway reads the record; its reading is refreshed every few seconds.
    let gatewayAfter: Series[] = [];
    await waitFor(
      async () => {
        gatewayAfter = await scrapeGateway();
        return (
          valueOf(gatewayAfter, 'vulnzero_deployments_finished_total', failedDeploy) >
          valueOf(gatewayBefore, 'vulnzero_deployments_finished_total', failedDeploy)
        );
      },
      30_000,
      'the gateway to count the failed deployment',
    );
    const gatewayDelta = (name: string, labels: Record<string, string>) =>
      valueOf(gatewayAfter, name, labels) - valueOf(gatewayBefore, name, labels);
    // The good canary ended rolled_back by the operator's rollback.
    expect(gatewayDelta('vulnzero_deployments_finished_total', { strategy: 'canary', status: 'rolled_back' })).toBe(1);
    expect(gatewayDelta('vulnzero_deployments_finished_total', failedDeploy)).toBe(1);
    expect(gatewayDelta('vulnzero_deployments_finished_total', succeeded)).toBe(0);
    expect(gatewayDelta('vulnzero_deployments_finished_total', rolledBack)).toBe(0);
    expect(gatewayDelta('vulnzero_tasks_finished_total', { type: 'deploy', status: 'succeeded' })).toBe(1);
    expect(gatewayDelta('vulnzero_tasks_finished_total', { type: 'deploy', status: 'failed' })).toBe(1);
    expect(gatewayDelta('vulnzero_tasks_finished_total', { type: 'rollback', status: 'succeeded' })).toBe(1);
    expect(valueOf(gatewayAfter, 'vulnzero_tasks_open', { type: 'deploy', status: 'running' })).toBe(0);
    expect(valueOf(gatewayAfter, 'vulnzero_queue_jobs', { queue: 'deploy', state: 'active' })).toBe(0);

    // Request durations by route pattern: the ids of the polled resources never become labels.
    expect(gatewayDelta('vulnzero_http_request_duration_seconds_count', { method: 'POST', route: '/deployments', status: '202' })).toBe(2);
    expect(
      gatewayDelta('vulnzero_http_request_duration_seconds_count', { method: 'GET', route: '/tasks/:id', status: '200' }),
    ).toBeGreaterThanOrEqual(3);
    expect(
      gatewayDelta('vulnzero_http_request_duration_seconds_count', { method: 'POST', route: '/deployments/:id/rollback', status: '202' }),
    ).toBe(1);
    const routes = new Set(
      gatewayAfter.filter((s) => s.name === 'vulnzero_http_request_duration_seconds_count').map((s) => s.labels.route),
    );
    for (const route of routes) expect(route).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    // Refused scrapes are requests too, counted under their route.
    expect(
      valueOf(gatewayAfter, 'vulnzero_http_request_duration_seconds_count', { route: '/metrics', status: '401' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('writes JSON logs that carry task, deployment and host ids and never a secret', async () => {
    const logs = `${gateway.logs()}\n${worker.logs()}`;
    const keyLines = fleet.privateKey
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.length >= 20 && !l.startsWith('-----'));
    expect(keyLines.length).toBeGreaterThan(0);
    for (const line of keyLines) expect(logs).not.toContain(line);
    expect(logs).not.toContain(TEST_ADMIN.password);
    expect(logs).not.toContain(metricsToken);
    expect(logs).not.toContain(appEnv().VULNZERO_MASTER_KEY as string);
    expect(logs).not.toContain(appEnv().JWT_SECRET as string);

    const workerLines = worker
      .logs()
      .split('\n')
      .filter((l) => l.trim() !== '');
    const parsed = workerLines.map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`worker log line is not JSON: ${line}`);
      }
    });
    expect(parsed.every((entry) => entry.app === 'worker')).toBe(true);
    const hostFailed = parsed.find((entry) => entry.msg === 'host failed' && entry.hostId === mismatchedHostId);
    expect(hostFailed).toEqual(
      expect.objectContaining({
        taskId: expect.any(String),
        deploymentId: expect.any(String),
        jobId: expect.any(String),
        job: 'deploy.run',
      }),
    );

    // One line per API request, with its id, method, URL, status and time; probes and scrapes stay quiet.
    const requestLines = gateway
      .logs()
      .split('\n')
      .filter((line) => line.includes('"msg":"request completed"'))
      .map(
        (line) =>
          JSON.parse(line) as {
            app: string;
            requestId: string;
            req: { id: string; method: string; url: string };
            res: { statusCode: number };
            responseTime: number;
          },
      );
    expect(requestLines.length).toBeGreaterThan(0);
    for (const line of requestLines) {
      expect(line).toEqual(
        expect.objectContaining({
          app: 'gateway',
          requestId: line.req.id,
          req: { id: expect.any(String), method: expect.stringMatching(/^[A-Z]+$/), url: expect.stringMatching(/^\//) },
          res: { statusCode: expect.any(Number) },
          responseTime: expect.any(Number),
        }),
      );
      expect(line.req.url).not.toMatch(/^\/(metrics|health\/)/);
    }
    expect(requestLines.some((line) => line.req.method === 'POST' && line.req.url === '/deployments' && line.res.statusCode === 202)).toBe(
      true,
    );
  });
});
