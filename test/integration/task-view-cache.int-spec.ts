// The gateway's cache of task views on real PostgreSQL and Redis: two
// "gateway" contexts serve views, a "worker" context (its own pool and Redis
// connections) changes the rows through TasksService, as the worker does.
import { randomUUID } from 'node:crypto';
import { Global, INestApplicationContext, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import Redis from 'ioredis';
import { Client } from 'pg';
import { postgresOptions } from '@vulnzero/database';
import { AnnouncedCache, REDIS_CLIENT } from '@vulnzero/queues';
import {
  InvalidTaskTransitionError,
  TaskEntity,
  TaskEventsPublisher,
  TasksModule,
  TasksService,
  TaskView,
  TaskViewCache,
} from '@vulnzero/tasks';

jest.setTimeout(60_000);

const env = (name: 'DATABASE_URL' | 'REDIS_URL'): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (global setup)`);
  return value;
};

async function startContext(name: string, withCache: boolean): Promise<{ context: INestApplicationContext; redis: Redis }> {
  const redis = new Redis(env('REDIS_URL'));
  @Global()
  @Module({ providers: [{ provide: REDIS_CLIENT, useValue: redis }], exports: [REDIS_CLIENT] })
  class TestRedisModule {}
  const moduleRef = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot({ ...postgresOptions(env('DATABASE_URL'), name), entities: [TaskEntity] }),
      TestRedisModule,
      TasksModule,
    ],
    providers: withCache ? [TaskViewCache] : [],
  }).compile();
  return { context: await moduleRef.init(), redis };
}

async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The cache inside (white box: its subscription state, entries, and a change as if announced). */
const internals = (cache: TaskViewCache) => (cache as unknown as { cache: AnnouncedCache<TaskView> }).cache;
const entryOf = (cache: TaskViewCache, id: string) =>
  (internals(cache) as unknown as { entries: Map<string, { value: TaskView; expiresAt: number }> }).entries.get(id);

/**
 * Resolves when `cache` forgets `id` (its announcement arrived), so a test
 * waits on the message itself rather than on a clock.
 */
function forgotten(cache: TaskViewCache, id: string): Promise<void> {
  const inner = internals(cache);
  const forget = inner.forget.bind(inner);
  return new Promise((resolve) => {
    inner.forget = (key: string) => {
      forget(key);
      if (key !== id) return;
      inner.forget = forget;
      resolve();
    };
  });
}

describe('TaskViewCache', () => {
  let gateway: { context: INestApplicationContext; redis: Redis };
  let otherGateway: { context: INestApplicationContext; redis: Redis };
  let worker: { context: INestApplicationContext; redis: Redis };
  let sql: Client;
  let cache: TaskViewCache;
  let otherCache: TaskViewCache;
  let tasks: TasksService;

  beforeAll(async () => {
    gateway = await startContext('vz-view-cache-gateway', true);
    otherGateway = await startContext('vz-view-cache-gateway-2', true);
    worker = await startContext('vz-view-cache-worker', false);
    cache = gateway.context.get(TaskViewCache);
    otherCache = otherGateway.context.get(TaskViewCache);
    tasks = worker.context.get(TasksService);
    sql = new Client({ connectionString: env('DATABASE_URL') });
    await sql.connect();
    // The caches only remember once their subscriptions are up.
    await eventually(async () => internals(cache).caching && internals(otherCache).caching, Boolean);
  });

  afterAll(async () => {
    await sql.end();
    for (const side of [gateway, otherGateway, worker]) {
      await side.context.close();
      side.redis.disconnect();
    }
  });

  const view = async (id: string) => cache.view(id);

  /** Resolves once every announcement the worker made so far has reached `cache` (they arrive in order). */
  const announcementsDelivered = async () => {
    const sentinel = `sentinel-${randomUUID()}`;
    const delivered = forgotten(cache, sentinel);
    worker.context.get(TaskEventsPublisher).taskChanged(sentinel);
    await delivered;
  };

  const heldByBoth = async (id: string) => {
    const held = await eventually(async () => {
      await Promise.all([view(id), otherCache.view(id)]);
      return entryOf(cache, id) !== undefined && entryOf(otherCache, id) !== undefined;
    }, Boolean);
    expect(held).toBe(true);
  };

  it('remembers a task that is not finished for a second at most, a finished one for five', async () => {
    const task = await tasks.create({ type: 'scan', createdBy: 'int-test', total: 4 });
    const running = forgotten(cache, task.id);
    await tasks.transition(task.id, 'running', { progress: { phase: 'scanning' } });
    await running;
    const handEdit = (phase: string) =>
      sql.query(`UPDATE tasks SET progress = jsonb_build_object('phase', $2::text) WHERE id = $1`, [task.id, phase]);
    // The cache's clock, stopped and moved by hand: changes made behind
    // TasksService (nothing announced) are seen once the entry has expired.
    const now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now);
    try {
      expect((await view(task.id)).status).toBe('running');
      await handEdit('edited by hand');
      clock.mockReturnValue(now + 999);
      expect((await view(task.id)).progress.phase).toBe('scanning');
      clock.mockReturnValue(now + 1_000);
      expect((await view(task.id)).progress.phase).toBe('edited by hand');

      const succeeded = forgotten(cache, task.id);
      await tasks.transition(task.id, 'succeeded', { result: { findings: 1 } });
      await succeeded;
      const then = now + 10_000;
      clock.mockReturnValue(then);
      expect((await view(task.id)).status).toBe('succeeded');
      await handEdit('edited again');
      clock.mockReturnValue(then + 4_999);
      expect((await view(task.id)).progress.phase).not.toBe('edited again');
      clock.mockReturnValue(then + 5_000);
      expect((await view(task.id)).progress.phase).toBe('edited again');
    } finally {
      clock.mockRestore();
    }
  });

  it('serves the next GET on every gateway with what the worker wrote to a task that is not finished (progress, pause, resume)', async () => {
    const task = await tasks.create({ type: 'deploy', createdBy: 'int-test', total: 200 });
    const bothSee = async (write: () => Promise<unknown>, check: (v: TaskView) => void) => {
      // Both gateways hold the previous view (a read that overlapped an announcement of its task is not kept: read again)...
      await heldByBoth(task.id);
      // ...and forget it when the worker's announcement arrives.
      const announced = Promise.all([forgotten(cache, task.id), forgotten(otherCache, task.id)]);
      await write();
      await announced;
      check(await view(task.id));
      check(await otherCache.view(task.id));
    };
    await bothSee(
      () => tasks.transition(task.id, 'running'),
      (v) => expect(v.status).toBe('running'),
    );
    await bothSee(
      () => tasks.updateProgress(task.id, { phase: 'step 1/4', done: 20, total: 200, percent: 10 }),
      (v) => expect(v.progress).toEqual({ phase: 'step 1/4', done: 20, total: 200, percent: 10 }),
    );
    await bothSee(
      () => tasks.transition(task.id, 'paused', { progress: { phase: 'awaiting promotion' } }),
      (v) => expect([v.status, v.progress.phase]).toEqual(['paused', 'awaiting promotion']),
    );
    await bothSee(
      () => tasks.transition(task.id, 'running'),
      (v) => expect([v.status, v.progress.done]).toEqual(['running', 20]),
    );
  });

  it('forgets at once, before any message, a task the gateway itself writes; the other gateway when the message arrives', async () => {
    const gatewayTasks = gateway.context.get(TasksService);
    const task = await gatewayTasks.create({ type: 'scan', createdBy: 'int-test' });
    await heldByBoth(task.id);
    expect(entryOf(cache, task.id)?.value.status).toBe('queued');

    const otherForgot = forgotten(otherCache, task.id);
    await gatewayTasks.transition(task.id, 'running', { progress: { phase: 'scanning' } });
    expect(entryOf(cache, task.id)).toBeUndefined();
    expect((await view(task.id)).status).toBe('running');
    await otherForgot;
    expect((await otherCache.view(task.id)).status).toBe('running');

    await gatewayTasks.updateProgress(task.id, { phase: 'scanning', done: 1, total: 2, percent: 50 });
    expect(entryOf(cache, task.id)).toBeUndefined();
    expect((await view(task.id)).progress.done).toBe(1);
  });

  it('remembers a finished task: a change made behind TasksService is not seen, the cache answered', async () => {
    const task = await tasks.create({ type: 'scan', createdBy: 'int-test' });
    await tasks.transition(task.id, 'running');
    await tasks.transition(task.id, 'failed', { error: { code: 'boom', message: 'first' } });
    // Every write is announced; let them land before the view is remembered.
    await announcementsDelivered();
    expect((await view(task.id)).error?.message).toBe('first');
    expect(entryOf(cache, task.id)).toBeDefined();
    await sql.query(`UPDATE tasks SET error = '{"code":"boom","message":"edited by hand"}' WHERE id = $1`, [task.id]);
    expect((await view(task.id)).error?.message).toBe('first');
  });

  it('forgets a finished task at once when the worker writes its row again (a repeated final transition, a late progress write)', async () => {
    const task = await tasks.create({ type: 'deploy', createdBy: 'int-test', total: 3 });
    await tasks.transition(task.id, 'running');
    await tasks.transition(task.id, 'failed', { result: { deploymentStatus: 'failed' }, error: { code: 'failed', message: 'host down' } });
    await announcementsDelivered();
    expect((await view(task.id)).result).toEqual({ deploymentStatus: 'failed' });
    expect(entryOf(cache, task.id)).toBeDefined();

    const forgotTransition = forgotten(cache, task.id);
    await tasks.transition(task.id, 'failed', {
      result: { deploymentStatus: 'rolled_back' },
      error: { code: 'rolled_back', message: 'rolled back' },
    });
    await forgotTransition;
    expect((await view(task.id)).result).toEqual({ deploymentStatus: 'rolled_back' });
    expect(entryOf(cache, task.id)).toBeDefined();

    const forgotProgress = forgotten(cache, task.id);
    await tasks.updateProgress(task.id, { phase: 'done', done: 3, total: 3, percent: 100 });
    await forgotProgress;
    expect((await view(task.id)).progress).toEqual(expect.objectContaining({ phase: 'done', done: 3, percent: 100 }));
  });

  it('does not remember a read that raced with a change announcement of its task', async () => {
    const task = await tasks.create({ type: 'scan', createdBy: 'int-test' });
    await tasks.transition(task.id, 'running');
    await tasks.transition(task.id, 'succeeded', { result: { findings: 0 } });
    const reading = cache.view(task.id);
    // The announcement lands while the read is under way.
    internals(cache).forget(task.id);
    await reading;
    expect(entryOf(cache, task.id)).toBeUndefined();
    await sql.query(`UPDATE tasks SET result = '{"findings":7}' WHERE id = $1`, [task.id]);
    expect((await view(task.id)).result).toEqual({ findings: 7 });
  });

  it('remembers a read that overlapped changes of other tasks only (a busy channel does not keep the cache empty)', async () => {
    const task = await tasks.create({ type: 'scan', createdBy: 'int-test' });
    await tasks.transition(task.id, 'running');
    await tasks.transition(task.id, 'succeeded', { result: { findings: 0 } });
    await announcementsDelivered();
    const reading = cache.view(task.id);
    internals(cache).forget('some-other-task');
    await reading;
    expect(entryOf(cache, task.id)?.value.result).toEqual({ findings: 0 });
  });

  it('does not remember a read that overlapped a loss of the subscription', async () => {
    const task = await tasks.create({ type: 'scan', createdBy: 'int-test' });
    await tasks.transition(task.id, 'running');
    await tasks.transition(task.id, 'succeeded', { result: { findings: 0 } });
    const inner = internals(cache) as unknown as {
      ticket(): number;
      remember(ticket: number, key: string, value: TaskView): void;
      stopCaching(): void;
      listening: boolean;
    };
    const ticket = inner.ticket();
    const value = await tasks.view(task.id);
    // The subscription drops and comes back (as on a Redis reconnect) while the read is under way.
    inner.stopCaching();
    (inner as unknown as { reset(): void }).reset();
    inner.listening = true;
    inner.remember(ticket, task.id, value);
    expect(entryOf(cache, task.id)).toBeUndefined();
    // A read begun after it is remembered.
    inner.remember(inner.ticket(), task.id, value);
    expect(entryOf(cache, task.id)?.value.status).toBe('succeeded');
  });

  it("lets one of two racing final transitions through: the other is refused, and the status written is the winner's", async () => {
    // Two processes (their own pools), as a worker finishing and the reconciler giving up on a lost job.
    const otherWriter = gateway.context.get(TasksService);
    for (let round = 0; round < 10; round++) {
      const task = await tasks.create({ type: 'deploy', createdBy: 'int-test' });
      await tasks.transition(task.id, 'running');
      const outcomes = await Promise.allSettled([
        tasks.transition(task.id, 'succeeded', { result: { deploymentStatus: 'succeeded' } }),
        otherWriter.transition(task.id, 'failed', { error: { code: 'job_lost', message: 'lost' } }),
      ]);
      const won = outcomes.filter((o): o is PromiseFulfilledResult<TaskEntity> => o.status === 'fulfilled');
      const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost[0]?.reason).toBeInstanceOf(InvalidTaskTransitionError);
      const { rows } = await sql.query<{ status: string }>('SELECT status FROM tasks WHERE id = $1', [task.id]);
      expect(rows[0]?.status).toBe(won[0]?.value.status);
    }
  });

  it('reads a task asked for with its id in upper case', async () => {
    const task = await tasks.create({ type: 'scan', createdBy: 'int-test' });
    expect((await tasks.view(task.id.toUpperCase())).id).toBe(task.id);
  });

  it('remembers nothing for an unknown task: once the task exists it is served', async () => {
    const id = randomUUID();
    await expect(view(id)).rejects.toThrow(/not found/i);
    await sql.query(
      `INSERT INTO tasks (id, type, status, progress, created_by, finished_at) VALUES ($1, 'scan', 'cancelled', '{"phase":"cancelled","done":0,"total":0,"percent":0}', 'int-test', now())`,
      [id],
    );
    expect((await view(id)).status).toBe('cancelled');
  });
});
