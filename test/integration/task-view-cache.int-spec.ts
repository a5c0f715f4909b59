// The gateway's cache of finished tasks' views on real PostgreSQL and Redis:
// a "gateway" context serves views, a "worker" context (its own pool and
// Redis connections) changes the rows through TasksService, as the worker does.
import { Global, INestApplicationContext, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import Redis from 'ioredis';
import { Client } from 'pg';
import { postgresOptions } from '@vulnzero/database';
import { AnnouncedCache, REDIS_CLIENT } from '@vulnzero/queues';
import { TaskEntity, TasksModule, TasksService, TaskViewCache } from '@vulnzero/tasks';

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
    imports: [TypeOrmModule.forRoot({ ...postgresOptions(env('DATABASE_URL'), name), entities: [TaskEntity] }), TestRedisModule, TasksModule],
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

/** The cache inside (white box: its subscription state, and a change as if announced). */
const internals = (cache: TaskViewCache) => (cache as unknown as { cache: AnnouncedCache<unknown> }).cache;

describe('TaskViewCache', () => {
  let gateway: { context: INestApplicationContext; redis: Redis };
  let worker: { context: INestApplicationContext; redis: Redis };
  let sql: Client;
  let cache: TaskViewCache;
  let tasks: TasksService;

  beforeAll(async () => {
    gateway = await startContext('vz-view-cache-gateway', true);
    worker = await startContext('vz-view-cache-worker', false);
    cache = gateway.context.get(TaskViewCache);
    tasks = worker.context.get(TasksService);
    sql = new Client({ connectionString: env('DATABASE_URL') });
    await sql.connect();
    // The cache only remembers once its subscription is up.
    await eventually(async () => internals(cache).caching, Boolean);
  });

  afterAll(async () => {
    await sql.end();
    for (const side of [gateway, worker]) {
      await side.context.close();
      side.redis.disconnect();
    }
  });

  const view = async (id: string) => cache.view(id);

  it('reads a task that is not finished from PostgreSQL on every request', async () => {
    const task = await tasks.create({ type: 'scan', createdBy: 'int-test', total: 4 });
    expect((await view(task.id)).status).toBe('queued');
    await tasks.transition(task.id, 'running');
    expect((await view(task.id)).status).toBe('running');
    await tasks.updateProgress(task.id, { phase: 'scanning', done: 2, total: 4, percent: 50 });
    expect((await view(task.id)).progress.done).toBe(2);
    await tasks.transition(task.id, 'succeeded', { result: { findings: 1 } });
    expect((await view(task.id)).status).toBe('succeeded');
  });

  it('remembers a finished task: a change made behind TasksService is not seen, the cache answered', async () => {
    const task = await tasks.create({ type: 'scan', createdBy: 'int-test' });
    await tasks.transition(task.id, 'running');
    await tasks.transition(task.id, 'failed', { error: { code: 'boom', message: 'first' } });
    // Every finished status is announced; let this one land before the view is remembered.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await view(task.id)).error?.message).toBe('first');
    await sql.query(`UPDATE tasks SET error = '{"code":"boom","message":"edited by hand"}' WHERE id = $1`, [task.id]);
    expect((await view(task.id)).error?.message).toBe('first');
  });

  it('forgets a finished task at once when the worker writes its row again (a repeated final transition, a late progress write)', async () => {
    const task = await tasks.create({ type: 'deploy', createdBy: 'int-test', total: 3 });
    await tasks.transition(task.id, 'running');
    await tasks.transition(task.id, 'failed', { result: { deploymentStatus: 'failed' }, error: { code: 'failed', message: 'host down' } });
    expect((await view(task.id)).result).toEqual({ deploymentStatus: 'failed' });

    await tasks.transition(task.id, 'failed', { result: { deploymentStatus: 'rolled_back' }, error: { code: 'rolled_back', message: 'rolled back' } });
    const afterTransition = await eventually(() => view(task.id), (v) => (v.result as { deploymentStatus?: string }).deploymentStatus === 'rolled_back', 2_000);
    expect(afterTransition.result).toEqual({ deploymentStatus: 'rolled_back' });

    await tasks.updateProgress(task.id, { phase: 'done', done: 3, total: 3, percent: 100 });
    const afterProgress = await eventually(() => view(task.id), (v) => v.progress.done === 3, 2_000);
    expect(afterProgress.progress).toEqual(expect.objectContaining({ phase: 'done', done: 3, percent: 100 }));
  });

  it('does not remember a read that raced with a change announcement', async () => {
    const task = await tasks.create({ type: 'scan', createdBy: 'int-test' });
    await tasks.transition(task.id, 'running');
    await tasks.transition(task.id, 'succeeded', { result: { findings: 0 } });
    const reading = cache.view(task.id);
    // The announcement lands while the read is under way.
    internals(cache).forget('some-other-task');
    await reading;
    await sql.query(`UPDATE tasks SET result = '{"findings":7}' WHERE id = $1`, [task.id]);
    expect((await view(task.id)).result).toEqual({ findings: 7 });
  });

  it('remembers nothing for an unknown task: once the task exists it is served', async () => {
    const id = '00000000-0000-4000-8000-0000000000aa';
    await expect(view(id)).rejects.toThrow(/not found/i);
    await sql.query(
      `INSERT INTO tasks (id, type, status, progress, created_by, finished_at) VALUES ($1, 'scan', 'cancelled', '{"phase":"cancelled","done":0,"total":0,"percent":0}', 'int-test', now())`,
      [id],
    );
    expect((await view(id)).status).toBe('cancelled');
  });
});
