import { runMigrations } from '../../libs/database/src/migrator';
import { AppProcess, startGateway, startWorker, waitFor } from '../harness/app-process';
import { ApiClient, TEST_ADMIN } from '../harness/api-client';
import { PrivatePostgres, PrivateRedis, startPrivatePostgres, startPrivateRedis } from '../harness/private-services';
import { randomSuffix } from '../harness/test-env';
import { FleetHost, SshFleet } from '../fleet/fleet';
import { breakHealthOn, filePatch } from '../harness/file-patch';

jest.setTimeout(240_000);

// Faults on real processes: SIGKILL of workers mid-apply, mid-bake and
// mid-rollback, SIGTERM, Redis restarted and flushed, PostgreSQL restarted,
// two workers on one queue. Each test checks the final statuses and every
// host's real state on disk against its record.

const LOCK = { WORKER_JOB_LOCK_SECONDS: '3' };

const slowPatch = (name: string, options: { breakHost?: string; slowRollback?: boolean } = {}) =>
  filePatch(name, {
    extraApply: [
      'echo applied >> "$VZ_STATE_DIR/app/apply.log"',
      ...(options.breakHost ? [breakHealthOn(options.breakHost)] : []),
      'sleep 1',
    ],
    extraRollback: [
      'printf ok > "$VZ_STATE_DIR/app/health"',
      'echo restored >> "$VZ_STATE_DIR/app/apply.log"',
      ...(options.slowRollback ? ['sleep 1'] : []),
    ],
  });

interface Env {
  gateway: AppProcess;
  workers: AppProcess[];
  api: ApiClient;
  hosts: { id: string; name: string; fleet: FleetHost }[];
  patch(definition: object): Promise<string>;
  stop(): Promise<void>;
}

describe('durability under faults (real processes)', () => {
  const fleet = new SshFleet({ subnet: '127.68' });

  beforeAll(async () => {
    await fleet.start(12);
  });
  afterAll(async () => {
    await fleet.stop();
  });

  async function resetFleet(): Promise<void> {
    await Promise.all(
      fleet.hosts.map(async (h) => {
        await fleet.writeHostFile(h, 'app/version', '1.0');
        await fleet.writeHostFile(h, 'app/health', 'ok');
        await fleet.writeHostFile(h, 'app/apply.log', '');
        await fleet.writeHostFile(h, 'app/hold', '');
      }),
    );
  }

  async function environment(overrides: Record<string, string> = {}, workers = 1, hostCount = 8): Promise<Env> {
    await resetFleet();
    const gateway = await startGateway(overrides);
    const started = await Promise.all(Array.from({ length: workers }, () => startWorker({ ...LOCK, ...overrides })));
    const api = await new ApiClient(gateway.url).login(TEST_ADMIN.username, TEST_ADMIN.password);
    const run = randomSuffix();
    const credential = await api.post('/credentials', { name: `dur-${run}`, username: fleet.username, privateKey: fleet.privateKey });
    const bulk = await api.post('/hosts/bulk', {
      hosts: fleet.hosts.slice(0, hostCount).map((h) => ({
        name: `${run}-${h.name}`,
        address: h.address,
        port: h.port,
        credentialId: credential.body.id,
        hostKey: h.hostKey,
      })),
    });
    if (bulk.status !== 201) throw new Error(JSON.stringify(bulk.body));
    const hosts = (bulk.body.items as { id: string; name: string }[])
      .map((item) => ({ id: item.id, name: item.name, fleet: fleet.host(item.name.slice(run.length + 1)) }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const env: Env = {
      gateway,
      workers: started,
      api,
      hosts,
      patch: async (definition) => {
        const id = (await api.post('/patches', definition)).body.id as string;
        await api.post(`/patches/${id}/approve`);
        return id;
      },
      stop: async () => {
        await Promise.all([gateway.stop(), ...env.workers.map((w) => w.stop('SIGKILL'))]);
      },
    };
    return env;
  }

  async function deployment(env: Env, id: string): Promise<any> {
    return (await env.api.get(`/deployments/${id}`)).body;
  }

  async function waitForDeployment(env: Env, id: string, predicate: (d: any) => boolean, what: string, timeoutMs = 60_000): Promise<any> {
    let current: any;
    await waitFor(async () => predicate((current = await deployment(env, id))), timeoutMs, what).catch((error: Error) => {
      const hosts = (current?.hosts ?? []).map((h: any) => `${h.hostName}: ${h.status}${h.error ? ` (${h.error})` : ''}`);
      throw new Error(`${error.message}; deployment ${current?.status} ${JSON.stringify(current?.error ?? null)}\n${hosts.join('\n')}`);
    });
    return current;
  }

  const waitForTask = (env: Env, taskId: string, timeoutMs = 150_000): Promise<any> => env.api.waitForTask(taskId, timeoutMs);

  /** The record and the disk agree: healthy hosts run 2.0, every other host 1.0 and healthy. */
  async function expectConsistent(env: Env, record: any): Promise<void> {
    for (const host of record.hosts) {
      const fleetHost = env.hosts.find((h) => h.id === host.hostId)!.fleet;
      const version = await fleet.readHostFile(fleetHost, 'app/version');
      expect({ host: host.hostName, status: host.status, version }).toEqual({
        host: host.hostName,
        status: host.status,
        version: host.status === 'healthy' ? '2.0' : '1.0',
      });
      if (host.status !== 'healthy') expect(await fleet.readHostFile(fleetHost, 'app/health')).toBe('ok');
    }
  }

  const applyLog = async (host: FleetHost) => (await fleet.readHostFile(host, 'app/apply.log')).trim().split('\n').filter(Boolean);

  it('resumes after a SIGKILL during apply of step 2: a host whose change is in place is checked with verify, never applied twice', async () => {
    const env = await environment();
    try {
      const patchId = await env.patch(slowPatch(`kill-apply-${randomSuffix()}`));
      const { deploymentId, taskId } = (
        await env.api.post('/deployments', {
          patchId,
          targets: { hostIds: env.hosts.map((h) => h.id) },
          strategy: { type: 'canary', steps: [1, 5, '100%'], maxParallel: 2 },
        })
      ).body;
      // Killed while a step-2 host is applying and its first apply commands already ran.
      const applied = async (hostId: string) => (await applyLog(env.hosts.find((h) => h.id === hostId)!.fleet)).includes('applied');
      await waitFor(
        async () => {
          const d = await deployment(env, deploymentId);
          for (const h of d.hosts) if (h.step === 1 && h.status === 'applying' && (await applied(h.hostId))) return true;
          return false;
        },
        60_000,
        'a step-2 host applying, its change made',
      );
      await env.workers[0]!.stop('SIGKILL');
      const interrupted = (await deployment(env, deploymentId)).hosts.filter((h: any) =>
        ['capturing', 'applying', 'verifying'].includes(h.status),
      );
      expect(interrupted.length).toBeGreaterThan(0);
      env.workers = [await startWorker(LOCK)];

      const task = await waitForTask(env, taskId);
      expect(task.status).toBe('succeeded');
      const record = await deployment(env, deploymentId);
      expect(record.hosts.every((h: any) => h.status === 'healthy')).toBe(true);
      await expectConsistent(env, record);
      // Every host applied exactly once: the interrupted ones were found changed by verify, not restored and applied again.
      for (const host of env.hosts)
        expect({ host: host.name, log: await applyLog(host.fleet) }).toEqual({ host: host.name, log: ['applied'] });
      const resumed = record.hosts.filter((h: any) => interrupted.some((i: any) => i.hostId === h.hostId && i.rollbackStoredAt));
      for (const host of resumed) expect(host.output.map((o: any) => o.phase)).toContain('verify');
    } finally {
      await env.stop();
    }
  });

  it('fails a host a SIGKILL interrupted before its change was made, instead of applying it again, and rolls it back', async () => {
    const env = await environment();
    try {
      const patchId = await env.patch({
        ...slowPatch(`kill-before-change-${randomSuffix()}`),
        // The killed worker's shell goes on by itself on the host: the test holds it
        // (app/hold) so that it stops before making the change.
        apply: [
          'sleep 4; if [ -s "$VZ_STATE_DIR/app/hold" ]; then exit 1; fi',
          'printf %s 2.0 > "$VZ_STATE_DIR/app/version"',
          'echo applied >> "$VZ_STATE_DIR/app/apply.log"',
        ],
      });
      const { deploymentId, taskId } = (
        await env.api.post('/deployments', {
          patchId,
          targets: { hostIds: env.hosts.slice(0, 1).map((h) => h.id) },
          strategy: { type: 'all-at-once' },
        })
      ).body;
      await waitForDeployment(env, deploymentId, (d) => d.hosts[0].status === 'applying', 'the host applying');
      await env.workers[0]!.stop('SIGKILL');
      await fleet.writeHostFile(env.hosts[0]!.fleet, 'app/hold', 'held');
      env.workers = [await startWorker(LOCK)];

      const task = await waitForTask(env, taskId);
      expect(task.status).toBe('failed');
      const record = await deployment(env, deploymentId);
      expect(record.status).toBe('rolled_back');
      expect(record.hosts[0].status).toBe('rolled_back');
      expect(record.hosts[0].error).toContain('not applied again');
      const events = record.hosts[0].output.map((o: any) => o.phase);
      expect(events).toContain('verify');
      // Never applied by the second worker: the log has no apply, only the rollback.
      expect(await applyLog(env.hosts[0]!.fleet)).toEqual(['restored']);
      expect(await fleet.readHostFile(env.hosts[0]!.fleet, 'app/version')).toBe('1.0');
    } finally {
      await env.stop();
    }
  });

  it('fences a worker stopped past its lease: after SIGCONT none of its writes lands and it changes no host', async () => {
    const env = await environment();
    try {
      const patchId = await env.patch({
        ...slowPatch(`sigstop-${randomSuffix()}`),
        apply: ['printf %s 2.0 > "$VZ_STATE_DIR/app/version"', 'echo applied >> "$VZ_STATE_DIR/app/apply.log"', 'sleep 2'],
      });
      const { deploymentId, taskId } = (
        await env.api.post('/deployments', {
          patchId,
          targets: { hostIds: env.hosts.map((h) => h.id) },
          strategy: { type: 'canary', steps: [2, '100%'], maxParallel: 3 },
        })
      ).body;
      await waitForDeployment(
        env,
        deploymentId,
        (d) => d.hosts.some((h: any) => h.step === 1 && h.status === 'applying'),
        'a step-2 host applying',
      );
      const first = env.workers[0]!;
      first.child.kill('SIGSTOP');
      try {
        // Past its lease (3 s): a second worker takes the job over and finishes the deployment.
        env.workers.push(await startWorker(LOCK));
        const task = await waitForTask(env, taskId);
        expect(task.status).toBe('succeeded');
        const decided = await deployment(env, deploymentId);
        expect(decided.status).toBe('succeeded');
        const before = JSON.stringify(decided.hosts.map((h: any) => [h.hostId, h.status, h.finishedAt, h.output.length]));
        const stepsBefore = JSON.stringify(decided.steps);
        first.child.kill('SIGCONT');
        // Let the first worker run on: its hosts' ends, renewals and decisions all meet the fence.
        await new Promise((resolve) => setTimeout(resolve, 8000));
        const after = await deployment(env, deploymentId);
        expect(after.status).toBe('succeeded');
        expect(JSON.stringify(after.hosts.map((h: any) => [h.hostId, h.status, h.finishedAt, h.output.length]))).toBe(before);
        expect(JSON.stringify(after.steps)).toBe(stepsBefore);
        expect((await env.api.get(`/tasks/${taskId}`)).body.status).toBe('succeeded');
        await expectConsistent(env, after);
        for (const host of env.hosts)
          expect({ host: host.name, log: await applyLog(host.fleet) }).toEqual({ host: host.name, log: ['applied'] });
      } finally {
        first.child.kill('SIGCONT');
      }
    } finally {
      await env.stop();
    }
  });

  it('resumes after a SIGKILL during the bake without touching a host twice', async () => {
    const env = await environment();
    try {
      const patchId = await env.patch(slowPatch(`kill-bake-${randomSuffix()}`));
      const { deploymentId, taskId } = (
        await env.api.post('/deployments', {
          patchId,
          targets: { hostIds: env.hosts.slice(0, 4).map((h) => h.id) },
          strategy: { type: 'canary', steps: [2, '100%'], maxParallel: 2, bakeSeconds: 4 },
        })
      ).body;
      await waitForDeployment(env, deploymentId, (d) => d.steps[0].status === 'baking', 'the bake');
      await env.workers[0]!.stop('SIGKILL');
      env.workers = [await startWorker(LOCK)];
      expect((await waitForTask(env, taskId)).status).toBe('succeeded');
      const record = await deployment(env, deploymentId);
      await expectConsistent(env, record);
      for (const host of env.hosts.slice(0, 4)) expect(await applyLog(host.fleet)).toEqual(['applied']);
    } finally {
      await env.stop();
    }
  });

  it('finishes an automatic rollback a SIGKILL interrupted', async () => {
    const env = await environment();
    try {
      const patchId = await env.patch(
        slowPatch(`kill-rollback-${randomSuffix()}`, { breakHost: env.hosts[3]!.fleet.name, slowRollback: true }),
      );
      const { deploymentId, taskId } = (
        await env.api.post('/deployments', {
          patchId,
          targets: { hostIds: env.hosts.map((h) => h.id) },
          strategy: { type: 'canary', steps: [4, '100%'], maxParallel: 4 },
        })
      ).body;
      await waitForDeployment(
        env,
        deploymentId,
        (d) => d.status === 'rolling_back' && d.hosts.some((h: any) => h.status === 'rolling_back'),
        'the rollback',
      );
      await env.workers[0]!.stop('SIGKILL');
      env.workers = [await startWorker(LOCK)];
      const task = await waitForTask(env, taskId);
      expect(task.status).toBe('failed');
      expect(task.result).toEqual({ deploymentStatus: 'rolled_back' });
      const record = await deployment(env, deploymentId);
      expect(record.status).toBe('rolled_back');
      expect(record.hosts.slice(0, 4).map((h: any) => h.status)).toEqual(['rolled_back', 'rolled_back', 'rolled_back', 'rolled_back']);
      await expectConsistent(env, record);
      expect((await env.api.get(`/tasks/${record.rollbackTaskId}`)).body.status).toBe('succeeded');
    } finally {
      await env.stop();
    }
  });

  it('lets in-flight hosts finish on SIGTERM, exits 0, and another worker carries on', async () => {
    const env = await environment();
    try {
      const patchId = await env.patch(slowPatch(`sigterm-${randomSuffix()}`));
      const { deploymentId, taskId } = (
        await env.api.post('/deployments', {
          patchId,
          targets: { hostIds: env.hosts.map((h) => h.id) },
          strategy: { type: 'rolling', batchSize: 4, maxParallel: 2 },
        })
      ).body;
      await waitForDeployment(env, deploymentId, (d) => d.hosts.some((h: any) => h.status === 'applying'), 'a host applying');
      expect(await env.workers[0]!.stop('SIGTERM')).toBe(0);
      const afterStop = await deployment(env, deploymentId);
      expect(afterStop.hosts.some((h: any) => ['capturing', 'applying', 'verifying'].includes(h.status))).toBe(false);
      env.workers = [await startWorker(LOCK)];
      expect((await waitForTask(env, taskId)).status).toBe('succeeded');
      await expectConsistent(env, await deployment(env, deploymentId));
      for (const host of env.hosts) expect(await applyLog(host.fleet)).toEqual(['applied']);
    } finally {
      await env.stop();
    }
  });

  it('shares deployments between two workers without patching any host twice', async () => {
    const env = await environment({}, 2, 12);
    try {
      const patchId = await env.patch(slowPatch(`two-workers-${randomSuffix()}`));
      const groups = [env.hosts.slice(0, 4), env.hosts.slice(4, 8), env.hosts.slice(8, 12)];
      const started = await Promise.all(
        groups.map(
          async (group) =>
            (
              await env.api.post('/deployments', {
                patchId,
                targets: { hostIds: group.map((h) => h.id) },
                strategy: { type: 'all-at-once', maxParallel: 4 },
              })
            ).body,
        ),
      );
      for (const { taskId, deploymentId } of started) {
        expect((await waitForTask(env, taskId)).status).toBe('succeeded');
        await expectConsistent(env, await deployment(env, deploymentId));
      }
      for (const host of env.hosts) expect(await applyLog(host.fleet)).toEqual(['applied']);
    } finally {
      await env.stop();
    }
  });

  describe('with a private Redis', () => {
    let redis: PrivateRedis;
    beforeEach(async () => {
      redis = await startPrivateRedis();
    });
    afterEach(async () => {
      await redis.stop();
    });

    it('carries on when Redis restarts mid-deployment', async () => {
      const env = await environment({ REDIS_URL: redis.url });
      try {
        const patchId = await env.patch(slowPatch(`redis-restart-${randomSuffix()}`));
        const { deploymentId, taskId } = (
          await env.api.post('/deployments', {
            patchId,
            targets: { hostIds: env.hosts.map((h) => h.id) },
            strategy: { type: 'rolling', batchSize: 2, maxParallel: 2 },
          })
        ).body;
        await waitForDeployment(env, deploymentId, (d) => d.hosts.some((h: any) => h.status === 'healthy'), 'a first healthy host');
        await redis.restart(2000);
        expect((await waitForTask(env, taskId)).status).toBe('succeeded');
        await expectConsistent(env, await deployment(env, deploymentId));
        for (const host of env.hosts) expect((await applyLog(host.fleet)).filter((l) => l === 'applied').length).toBeGreaterThanOrEqual(1);
      } finally {
        await env.stop();
      }
    });

    it('answers 503 while Redis is down and records nothing as started', async () => {
      const env = await environment({ REDIS_URL: redis.url });
      try {
        const patchId = await env.patch(slowPatch(`redis-down-${randomSuffix()}`));
        await redis.stop();
        const refused = await env.api.post('/deployments', { patchId, targets: { hostIds: [env.hosts[0]!.id] } });
        expect(refused.status).toBe(503);
        expect(refused.body.message).toMatch(/queue|redis/i);
        const tasks = (await env.api.get('/tasks?type=deploy&status=queued')).body.items;
        expect(tasks).toEqual([]);
      } finally {
        await env.stop();
      }
    });

    it('re-enqueues a task whose job Redis lost, and runs it to the end', async () => {
      const env = await environment({ REDIS_URL: redis.url });
      try {
        await Promise.all(env.workers.map((w) => w.stop('SIGKILL')));
        const patchId = await env.patch(slowPatch(`redis-flush-${randomSuffix()}`));
        const { deploymentId, taskId } = (
          await env.api.post('/deployments', {
            patchId,
            targets: { hostIds: env.hosts.slice(0, 3).map((h) => h.id) },
            strategy: { type: 'all-at-once' },
          })
        ).body;
        await redis.restartEmpty();
        env.workers = [await startWorker({ ...LOCK, REDIS_URL: redis.url })];
        expect((await waitForTask(env, taskId)).status).toBe('succeeded');
        await expectConsistent(env, await deployment(env, deploymentId));
      } finally {
        await env.stop();
      }
    });

    it('wakes a deployment paused by its schedule even when Redis lost the wake-up job', async () => {
      const env = await environment({ REDIS_URL: redis.url });
      try {
        const patchId = await env.patch(slowPatch(`redis-wake-${randomSuffix()}`));
        const notBefore = new Date(Date.now() + 3_000).toISOString();
        const { deploymentId, taskId } = (
          await env.api.post('/deployments', { patchId, targets: { hostIds: env.hosts.slice(0, 2).map((h) => h.id) }, notBefore })
        ).body;
        await waitForDeployment(env, deploymentId, (d) => d.pausedReason === 'not_before', 'a not_before pause');
        await Promise.all(env.workers.map((w) => w.stop('SIGKILL')));
        await redis.restartEmpty();
        env.workers = [await startWorker({ ...LOCK, REDIS_URL: redis.url })];
        expect((await waitForTask(env, taskId)).status).toBe('succeeded');
        const done = await deployment(env, deploymentId);
        await expectConsistent(env, done);
        for (const host of done.hosts) expect(Date.parse(host.startedAt)).toBeGreaterThanOrEqual(Date.parse(notBefore));
      } finally {
        await env.stop();
      }
    });
  });

  describe('with a private PostgreSQL', () => {
    let pg: PrivatePostgres;
    beforeAll(async () => {
      pg = await startPrivatePostgres((url) => runMigrations(url, false));
    });
    afterAll(async () => {
      await pg?.destroy();
    });

    it('stops touching hosts while PostgreSQL is down and finishes when it returns', async () => {
      const env = await environment({ DATABASE_URL: pg.url });
      try {
        const patchId = await env.patch(slowPatch(`pg-restart-${randomSuffix()}`));
        const { deploymentId, taskId } = (
          await env.api.post('/deployments', {
            patchId,
            targets: { hostIds: env.hosts.map((h) => h.id) },
            strategy: { type: 'rolling', batchSize: 2, maxParallel: 2 },
          })
        ).body;
        await waitForDeployment(env, deploymentId, (d) => d.hosts.some((h: any) => h.status === 'healthy'), 'a first healthy host');
        await pg.stop();
        await new Promise((resolve) => setTimeout(resolve, 3000));
        await pg.start();
        const task = await waitForTask(env, taskId);
        expect(task.status).toBe('succeeded');
        const record = await deployment(env, deploymentId);
        await expectConsistent(env, record);
        for (const host of env.hosts) {
          const log = await applyLog(host.fleet);
          // Applied once: a host interrupted mid-change is checked with verify, never applied again.
          expect(log).toEqual(['applied']);
        }
      } finally {
        await env.stop();
      }
    });
  });
});
