import { spawn, ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, freePort, spawnApp, startGateway, startWorker, waitFor } from '../harness/app-process';
import { appEnv } from '../harness/test-env';

jest.setTimeout(60_000);

function expectErrorBody(body: Record<string, unknown>, status: number, requestId: string | null): void {
  expect(body).toEqual(expect.objectContaining({ statusCode: status, error: expect.any(String), message: expect.anything(), requestId }));
  const text = JSON.stringify(body);
  expect(text).not.toMatch(/at .*\.js:\d+|node_modules|\/work\/|SELECT |stack/i);
}

describe('gateway process (real PostgreSQL and Redis)', () => {
  let gateway: AppProcess;

  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('answers /health/live and /health/ready with both dependencies up', async () => {
    expect((await fetch(`${gateway.url}/health/live`)).status).toBe(200);
    const ready = await fetch(`${gateway.url}/health/ready`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { details: Record<string, { status: string }> };
    expect(body.details.postgresql?.status).toBe('up');
    expect(body.details.redis?.status).toBe('up');
  });

  it('gives an unknown route the SPEC error body with the request id of the response header', async () => {
    const response = await fetch(`${gateway.url}/no-such-route`);
    expect(response.status).toBe(404);
    expectErrorBody((await response.json()) as Record<string, unknown>, 404, response.headers.get('x-request-id'));
  });

  it('keeps a well-formed caller request id', async () => {
    const response = await fetch(`${gateway.url}/no-such-route`, { headers: { 'X-Request-Id': 'ci-run-42.step-7' } });
    expect(response.headers.get('x-request-id')).toBe('ci-run-42.step-7');
    expect(((await response.json()) as { requestId: string }).requestId).toBe('ci-run-42.step-7');
  });

  it('refuses a 10 MB body with 413 and the error body, and keeps serving', async () => {
    const big = JSON.stringify({ blob: 'x'.repeat(10 * 1024 * 1024) });
    const response = await fetch(`${gateway.url}/health/live`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: big,
    });
    expect(response.status).toBe(413);
    expectErrorBody((await response.json()) as Record<string, unknown>, 413, response.headers.get('x-request-id'));
    expect((await fetch(`${gateway.url}/health/live`)).status).toBe(200);
  });

  it('answers malformed JSON with 400, not 500', async () => {
    const response = await fetch(`${gateway.url}/health/live`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"unterminated": ',
    });
    expect(response.status).toBe(400);
    expectErrorBody((await response.json()) as Record<string, unknown>, 400, response.headers.get('x-request-id'));
  });

  it('sends strict security headers and no HSTS over plain HTTP', async () => {
    const response = await fetch(`${gateway.url}/health/live`);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('strict-transport-security')).toBeNull();
    expect(response.headers.get('x-powered-by')).toBeNull();
  });

  it('allows no cross-origin caller when CORS_ORIGINS is empty', async () => {
    const response = await fetch(`${gateway.url}/health/live`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('serves an OpenAPI 3 document at /docs-json and the UI at /docs', async () => {
    const doc = (await (await fetch(`${gateway.url}/docs-json`)).json()) as { openapi: string; paths: object };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health/live', '/health/ready']));
    expect((await fetch(`${gateway.url}/docs`)).status).toBe(200);
  });
});

describe('gateway readiness when Redis goes away', () => {
  let redis: ChildProcess;
  let gateway: AppProcess;

  afterAll(async () => {
    await gateway?.stop();
    if (redis && redis.exitCode === null) redis.kill('SIGKILL');
  });

  it('turns /health/ready to 503 naming redis, and back to 200 when it returns', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'vz-redis-'));
    const startRedis = () =>
      spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir], {
        stdio: 'ignore',
      });
    redis = startRedis();
    gateway = await startGateway({ REDIS_URL: `redis://127.0.0.1:${port}` });
    await waitFor(async () => (await fetch(`${gateway.url}/health/ready`)).status === 200, 10_000, 'ready');

    redis.kill('SIGTERM');
    await once(redis, 'exit');
    let response = await fetch(`${gateway.url}/health/ready`);
    await waitFor(
      async () => {
        response = await fetch(`${gateway.url}/health/ready`);
        return response.status === 503;
      },
      10_000,
      'ready → 503',
    );
    const body = (await response.json()) as { message: string; statusCode: number; requestId: string };
    expect(body.statusCode).toBe(503);
    expect(body.message).toContain('redis');
    expect(body.message).not.toContain('postgresql');

    redis = startRedis();
    await waitFor(async () => (await fetch(`${gateway.url}/health/ready`)).status === 200, 15_000, 'ready again');
  });
});

describe('configuration validation at start', () => {
  it.each([
    ['JWT_SECRET', { JWT_SECRET: '' }, /JWT_SECRET: is required/],
    ['JWT_SECRET', { JWT_SECRET: 'short' }, /JWT_SECRET: must be at least 32 characters/],
    ['VULNZERO_MASTER_KEY', { VULNZERO_MASTER_KEY: 'bm90IDMyIGJ5dGVz' }, /VULNZERO_MASTER_KEY: must be 32 bytes/],
    ['PORT', { PORT: '70000' }, /PORT: must be an integer from 1 to 65535/],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x@y/z' }, /DATABASE_URL: must be a URL with protocol/],
  ])('stops the gateway with a message naming %s', async (_name, overrides, pattern) => {
    const proc = spawnApp('gateway', appEnv({ PORT: '1', ...overrides }));
    const code = await proc.stop('SIGCONT');
    expect(code).toBe(1);
    expect(proc.logs()).toMatch(pattern);
    expect(proc.logs()).not.toMatch(/at .*\.js:\d+/);
  });
});

describe('worker process', () => {
  it('connects to the queues and exits cleanly on SIGTERM', async () => {
    const worker = await startWorker();
    expect(worker.logs()).toContain('worker ready');
    const code = await worker.stop('SIGTERM');
    expect(code).toBe(0);
  });
});
