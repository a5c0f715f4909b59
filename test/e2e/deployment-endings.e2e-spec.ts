import Redis from 'ioredis';
import { Client } from 'pg';
import { AppProcess, freePort, spawnApp, waitFor } from '../harness/app-process';
import { ApiClient, TEST_ADMIN } from '../harness/api-client';
import { PrivateRedis, startPrivateRedis } from '../harness/private-services';
import { appEnv, randomSuffix } from '../harness/test-env';
import { FleetHost, SshFleet } from '../fleet/fleet';
import { filePatch } from '../harness/file-patch';

jest.setTimeout(240_000);

// Nothing is stuck: a deployment whose job failed for good (or was lost too
// often) still ends with a status and frees its hosts; a rollback that failed
// can be retried on the hosts still worth retrying; a finished deployment has
// no step left open. Real gateway and worker processes, sshd on 127.85.0.x.

const LOCK = { WORKER_JOB_LOCK_SECONDS: '3' };
const TERMINAL_STEP_STATUSES = ['succeeded', 'failed', 'aborted', 'skipped'];

/** The rollback refuses to start while `app/block-rollback` on the host says `block`. */
const blockablePatch = (name: string, options: { failApplyOn?: string } = {}) =>
  filePatch(name, {
    extraApply: [
      'echo applied >> "$VZ_STATE_DIR/app/apply.log"',
      ...(options.failApplyOn ? [`if [ "$VZ_HOST_NAME" = ${options.failApplyOn} ]; then exit 3; fi`] : []),
    ],
    rollbackBefore: ['test "$(cat "$VZ_STATE_DIR/app/block-rollback" 2>/dev/null)" != block'],
    extraRollback: ['echo restored >> "$VZ_STATE_DIR/app/apply.log"'],
  });

/** Like the harness's starters, with room for a loaded machine (the harness waits 20 s). */
async function started(proc: AppProcess, ready: () => Promise<boolean> | boolean, what: string): Promise<AppProcess> {
  try {
    await waitFor(
      async () => {
        if (proc.child.exitCode !== null) throw new Error(`${what} exited:\n${proc.logs()}`);
        return ready();
      },
      90_000,
      what,
    );
  } catch (error) {
    await proc.stop('SIGKILL');
    throw new Error(`${(error as Error).message}\n${proc.logs()}`);
  }
  return proc;
}

async function startGateway(overrides: Record<string, string> = {}): Promise<AppProcess> {
  const proc = spawnApp('gateway', appEnv({ PORT: String(await freePort()), HOST: '127.0.0.1', ...overrides }));
  return started(proc, async () => (await fetch(`${proc.url}/health/live`)).ok, 'gateway /health/live');
}

async function startWorker(overrides: Record<string, string> = {}): Promise<AppProcess> {
  const proc = spawnApp('worker', appEnv(overrides));
  return started(proc, () => proc.logs().includes('worker ready'), 'worker ready');
}

interface Env {
  gateway: AppProcess;
  workers: AppProcess[];
  api: ApiClient;
  hosts: { id: string; name: string; fleet: FleetHost }[];
  patch(definition: object): Promise<string>;
  stop(): Promise<void>;
}

describe('deployments always end (real processes)', () => {
  const fleet = new SshFleet({ subnet: '127.85' });

  beforeAll(async () => {
    await fleet.start(6);
  });
  afterAll(async () => {
    await fleet.stop();
  });

  async function environment(overrides: Record<string, string> = {}): Promise<Env> {
    await Promise.all(
      fleet.hosts.map(async (h) => {
        await fleet.writeHostFile(h, 'app/version', '1.0');
        await fleet.writeHostFile(h, 'app/health', 'ok');
        await fleet.writeHostFile(h, 'app/apply.log', '');
        await fleet.writeHostFile(h, 'app/block-rollback', '');
      }),
    );
    const gateway = await startGateway(overrides);
    const workers = [
      await startWorker({ ...LOCK, ...overrides }).catch(async (error: Error) => {
        await gateway.stop('SIGKILL');
        throw error;
      }),
    ];
    const api = await new ApiClient(gateway.url).login(TEST_ADMIN.username, TEST_ADMIN.password);
    const run = randomSuffix();
    const credential = await api.post('/credentials', { name: `end-${run}`, username: fleet.username, privateKey: fleet.privateKey });
    const bulk = await api.post('/hosts/bulk', {
      hosts: fleet.hosts.map((h) => ({
        name: `${run}-${h.name}`,
        address: h.address,
        port: h.port,
        credentialId: credential.body.id,
        hostKey: h.hostKey,
      })),
    });
    if (bulk.status !== 201) throw new Error(JSON.stringify(bulk.body));
    const hosts = (bulk.body.items as { id: string; name: string }[])
      .map((item) => ({ id: item.id, name: item.name, fleet: fleet.host(item.name.slice(run.length + 1)) as FleetHost }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const env: Env = {
      gateway,
      workers,
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

  const deployment = async (env: Env, id: string): Promise<any> => (await env.api.get(`/deployments/${id}`)).body;

  async function waitForDeployment(env: Env, id: string, predicate: (d: any) => boolean, what: string): Promise<any> {
    let current: any;
    await waitFor(async () => predicate((current = await deployment(env, id))), 60_000, what);
    return current;
  }

  async function deploy(env: Env, body: object): Promise<{ deploymentId: string; taskId: string }> {
    const response = await env.api.post('/deployments', body);
    if (response.status !== 202) throw new Error(`deploy refused: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }

  const log = async (host: FleetHost) => (await fleet.readHostFile(host, 'app/apply.log')).trim().split('\n').filter(Boolean);

  it('ends a deployment failed with the reason, every step closed and its hosts free, when its deploy job fails for good', async () => {
    const env = await environment();
    try {
      const patchId = await env.patch(blockablePatch(`job-fails-${randomSuffix()}`));
      const targets = env.hosts.slice(0, 2).map((h) => h.id);
      const { deploymentId, taskId } = await deploy(env, {
        patchId,
        targets: { hostIds: targets },
        strategy: { type: 'canary', steps: [1, '100%'], pauseAfterStep: [0] },
      });
      await waitForDeployment(env, deploymentId, (d) => d.status === 'paused', 'the gate after step 1');
      // The fault: the patch stops being usable under the deployment (a final,
      // non-retryable error of the job). Approved patches are immutable, so the
      // guard is lifted inside the one transaction that changes it.
      const db = new Client({ connectionString: process.env.DATABASE_URL });
      await db.connect();
      try {
        await db.query('BEGIN');
        await db.query('ALTER TABLE patches DISABLE TRIGGER patches_immutable_once_approved');
        await db.query(`UPDATE patches SET status = 'draft', approved_by = NULL, approved_at = NULL WHERE id = $1`, [patchId]);
        await db.query('ALTER TABLE patches ENABLE TRIGGER patches_immutable_once_approved');
        await db.query('COMMIT');
      } finally {
        await db.end();
      }
      expect((await env.api.post(`/deployments/${deploymentId}/promote`)).status).toBe(200);

      const task = await env.api.waitForTask(taskId, 60_000);
      expect(task.status).toBe('failed');
      const record = await waitForDeployment(env, deploymentId, (d) => d.status !== 'paused', 'the deployment to leave paused');
      expect(record.status).toBe('failed');
      expect(record.error).toEqual(expect.objectContaining({ code: 'job_failed', message: expect.stringMatching(/not approved/) }));
      expect(record.finishedAt ?? record.hosts[0].finishedAt).toBeTruthy();
      expect(record.steps.map((s: any) => s.status)).toEqual(['succeeded', 'skipped']);
      expect(record.hosts.map((h: any) => h.status)).toEqual(['healthy', 'skipped']);

      const other = await env.patch(blockablePatch(`after-fail-${randomSuffix()}`));
      const next = await env.api.post('/deployments', { patchId: other, targets: { hostIds: targets }, strategy: { type: 'all-at-once' } });
      expect(next.status).toBe(202);
      expect((await env.api.waitForTask(next.body.taskId, 60_000)).status).toBe('succeeded');
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

    it('ends a deployment failed with job_lost and frees its hosts when the reconciler gives up on its lost job', async () => {
      const env = await environment({ REDIS_URL: redis.url });
      try {
        await Promise.all(env.workers.map((w) => w.stop('SIGKILL')));
        const patchId = await env.patch(blockablePatch(`job-lost-${randomSuffix()}`));
        const targets = env.hosts.slice(0, 2).map((h) => h.id);
        const { deploymentId, taskId } = await deploy(env, { patchId, targets: { hostIds: targets }, strategy: { type: 'all-at-once' } });
        await redis.restartEmpty();
        // The job was lost as often as the reconciler tolerates: the next loss is the last.
        const client = new Redis(redis.url);
        try {
          await client.set(`vz:recoveries:${taskId}`, '5');
        } finally {
          client.disconnect();
        }
        env.workers = [await startWorker({ ...LOCK, REDIS_URL: redis.url })];

        const task = await env.api.waitForTask(taskId, 60_000);
        expect(task).toEqual(expect.objectContaining({ status: 'failed', error: expect.objectContaining({ code: 'job_lost' }) }));
        const record = await waitForDeployment(env, deploymentId, (d) => d.status !== 'pending', 'the deployment to leave pending');
        expect(record.status).toBe('failed');
        expect(record.error).toEqual(expect.objectContaining({ code: 'job_lost', message: expect.stringMatching(/lost/) }));
        expect(record.hosts.map((h: any) => h.status)).toEqual(['skipped', 'skipped']);
        expect(record.steps.every((s: any) => TERMINAL_STEP_STATUSES.includes(s.status))).toBe(true);
        for (const host of env.hosts.slice(0, 2)) expect(await log(host.fleet)).toEqual([]);

        const other = await env.patch(blockablePatch(`after-lost-${randomSuffix()}`));
        const next = await env.api.post('/deployments', {
          patchId: other,
          targets: { hostIds: targets },
          strategy: { type: 'all-at-once' },
        });
        expect(next.status).toBe(202);
        expect((await env.api.waitForTask(next.body.taskId, 60_000)).status).toBe('succeeded');
      } finally {
        await env.stop();
      }
    });
  });

  it('rolls a rollback_failed deployment back again on the failed hosts only, and ends rolled_back', async () => {
    const env = await environment();
    try {
      const patchId = await env.patch(blockablePatch(`re-rollback-${randomSuffix()}`));
      const targets = env.hosts.slice(0, 3);
      const { deploymentId, taskId } = await deploy(env, {
        patchId,
        targets: { hostIds: targets.map((h) => h.id) },
        strategy: { type: 'all-at-once' },
      });
      expect((await env.api.waitForTask(taskId, 60_000)).status).toBe('succeeded');
      const blocked = targets[1]!;
      await fleet.writeHostFile(blocked.fleet, 'app/block-rollback', 'block');

      const first = await env.api.post(`/deployments/${deploymentId}/rollback`);
      expect(first.status).toBe(202);
      expect((await env.api.waitForTask(first.body.taskId, 60_000)).status).toBe('failed');
      const failed = await deployment(env, deploymentId);
      expect(failed.status).toBe('rollback_failed');
      expect(failed.hosts.map((h: any) => h.status)).toEqual(['rolled_back', 'rollback_failed', 'rolled_back']);

      await fleet.writeHostFile(blocked.fleet, 'app/block-rollback', '');
      const again = await env.api.post(`/deployments/${deploymentId}/rollback`);
      expect(again.status).toBe(202);
      expect(again.body).toEqual(
        expect.objectContaining({ taskId: expect.any(String), hosts: [{ hostId: blocked.id, hostName: blocked.name }], skipped: [] }),
      );
      const retryTask = await env.api.waitForTask(again.body.taskId, 60_000);
      expect(retryTask.status).toBe('succeeded');
      const done = await deployment(env, deploymentId);
      expect(done.status).toBe('rolled_back');
      expect(done.error).toEqual(expect.objectContaining({ code: 'rolled_back' }));
      expect(done.hosts.map((h: any) => h.status)).toEqual(['rolled_back', 'rolled_back', 'rolled_back']);
      for (const host of targets) {
        expect(await fleet.readHostFile(host.fleet, 'app/version')).toBe('1.0');
        // Each host was restored once: the retry never touched the hosts already rolled back.
        expect(await log(host.fleet)).toEqual(['applied', 'restored']);
      }
    } finally {
      await env.stop();
    }
  });

  it('retries a failed rollback only where this deployment still holds the change, naming the hosts it skips', async () => {
    const env = await environment();
    try {
      const patchId = await env.patch(blockablePatch(`re-rollback-skips-${randomSuffix()}`));
      const [retried, reverted, claimed, clean] = env.hosts.slice(0, 4) as Env['hosts'];
      const targets = [retried!, reverted!, claimed!, clean!];
      const { deploymentId, taskId } = await deploy(env, {
        patchId,
        targets: { hostIds: targets.map((h) => h.id) },
        strategy: { type: 'all-at-once' },
      });
      expect((await env.api.waitForTask(taskId, 60_000)).status).toBe('succeeded');
      for (const host of [retried!, reverted!, claimed!]) await fleet.writeHostFile(host.fleet, 'app/block-rollback', 'block');
      const first = await env.api.post(`/deployments/${deploymentId}/rollback`);
      expect((await env.api.waitForTask(first.body.taskId, 60_000)).status).toBe('failed');
      expect((await deployment(env, deploymentId)).status).toBe('rollback_failed');

      for (const host of [retried!, reverted!, claimed!]) await fleet.writeHostFile(host.fleet, 'app/block-rollback', '');
      // Someone undid the change by hand on one host; a later deployment took another.
      await fleet.writeHostFile(reverted!.fleet, 'app/version', '1.0');
      const later = await env.patch({ ...filePatch(`later-${randomSuffix()}`), apply: ['echo later >> "$VZ_STATE_DIR/app/apply.log"'] });
      const laterRun = await deploy(env, { patchId: later, targets: { hostIds: [claimed!.id] }, strategy: { type: 'all-at-once' } });
      expect((await env.api.waitForTask(laterRun.taskId, 60_000)).status).toBe('succeeded');

      const again = await env.api.post(`/deployments/${deploymentId}/rollback`);
      expect(again.status).toBe(202);
      expect(again.body.hosts.map((h: any) => h.hostName).sort()).toEqual([retried!.name, reverted!.name].sort());
      expect(again.body.skipped).toEqual([
        { hostId: claimed!.id, hostName: claimed!.name, reason: expect.stringContaining(laterRun.deploymentId) },
      ]);
      const retryTask = await env.api.waitForTask(again.body.taskId, 60_000);
      expect(retryTask.status).toBe('failed');
      expect(retryTask.result.skipped).toEqual(
        expect.arrayContaining([
          { hostId: claimed!.id, hostName: claimed!.name, reason: expect.stringContaining(laterRun.deploymentId) },
          { hostId: reverted!.id, hostName: reverted!.name, reason: expect.stringMatching(/verify no longer passes/) },
        ]),
      );
      const record = await deployment(env, deploymentId);
      expect(record.status).toBe('rollback_failed');
      const statusOf = (id: string) => record.hosts.find((h: any) => h.hostId === id);
      expect(statusOf(retried!.id).status).toBe('rolled_back');
      expect(statusOf(reverted!.id)).toEqual(
        expect.objectContaining({ status: 'rollback_failed', error: expect.stringMatching(/verify no longer passes/) }),
      );
      expect(statusOf(claimed!.id).status).toBe('rollback_failed');
      expect(statusOf(clean!.id).status).toBe('rolled_back');
      // Neither skipped host was touched by the retry.
      expect(await log(reverted!.fleet)).toEqual(['applied']);
      expect(await log(claimed!.fleet)).toEqual(['applied', 'later']);
      expect(await log(retried!.fleet)).toEqual(['applied', 'restored']);
    } finally {
      await env.stop();
    }
  });

  it('leaves every step of an automatically rolled back deployment in a terminal status', async () => {
    const env = await environment();
    try {
      const targets = env.hosts.slice(0, 3);
      const patchId = await env.patch(blockablePatch(`auto-rollback-steps-${randomSuffix()}`, { failApplyOn: targets[2]!.fleet.name }));
      const { deploymentId, taskId } = await deploy(env, {
        patchId,
        targets: { hostIds: targets.map((h) => h.id) },
        strategy: { type: 'canary', steps: [1, '100%'], maxParallel: 1 },
      });
      const task = await env.api.waitForTask(taskId, 60_000);
      expect(task.result).toEqual({ deploymentStatus: 'rolled_back' });
      const record = await deployment(env, deploymentId);
      expect(record.status).toBe('rolled_back');
      expect(record.steps.map((s: any) => s.status)).toEqual(['succeeded', 'aborted']);
      for (const step of record.steps) expect(step.finishedAt).toEqual(expect.any(String));
    } finally {
      await env.stop();
    }
  });
});
