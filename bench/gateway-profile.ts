// The gateway load bench alone, for working on the request path: a fresh
// database, the gateway (under `node --cpu-prof` with VZ_BENCH_PROFILE=1),
// the bare baseline, and wrk on GET /health/live and GET /tasks/:id of a
// finished and of a running task (VZ_BENCH_ROUTES=live,task,taskOpen). No
// fleet, no worker: the tasks are rows written straight into the bench database.
// Prints rps ratios and, when profiled, where the gateway's CPU went.
// `VZ_BENCH_DB=vulnzero_bench_gw node dist/bench/gateway-profile.js`
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Client } from 'pg';
import { ApiClient, TEST_ADMIN } from '../test/harness/api-client';
import { benchAppEnv, startBareApp, startGatewayProcess } from './app-processes';
import { benchServices, ensureWorkDir, freshState, WORK_DIR } from './bench-env';
import { summarizeCpuProfile } from './cpu-profile';
import { measureLoad } from './gateway-load';

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/** A deploy task row: finished (succeeded), or still running halfway. */
async function insertTask(databaseUrl: string, finished: boolean): Promise<string> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string }>(
      finished
        ? `INSERT INTO tasks (type, status, progress, result, created_by, started_at, finished_at)
           VALUES ('deploy', 'succeeded', '{"phase":"done","done":200,"total":200,"percent":100}', '{"deploymentStatus":"succeeded"}', 'bench', now(), now())
           RETURNING id`
        : `INSERT INTO tasks (type, status, progress, created_by, started_at)
           VALUES ('deploy', 'running', '{"phase":"step 3/4","done":100,"total":200,"percent":50}', 'bench', now())
           RETURNING id`,
    );
    return (rows[0] as { id: string }).id;
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  await ensureWorkDir();
  const services = await benchServices();
  await freshState(services);
  const profileDir = path.join(WORK_DIR, 'gateway-profile');
  await fs.rm(profileDir, { recursive: true, force: true });
  await fs.mkdir(profileDir, { recursive: true });
  const profiled = process.env.VZ_BENCH_PROFILE === '1';
  const gateway = await startGatewayProcess(
    benchAppEnv(services, { JWT_EXPIRES_IN_SECONDS: '7200' }),
    'gateway-profile.log',
    profiled ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  );
  const bare = await startBareApp();
  try {
    const login = await new ApiClient(gateway.url).post<{ accessToken: string }>('/auth/login', TEST_ADMIN);
    if (login.status !== 200) throw new Error(`login: ${login.status}`);
    const auth = { authorization: `Bearer ${login.body.accessToken}` };
    const taskId = await insertTask(services.databaseUrl, true);
    const openTaskId = await insertTask(services.databaseUrl, false);
    const check = await new ApiClient(gateway.url).withToken(login.body.accessToken).get(`/tasks/${taskId}`);
    if (check.status !== 200) throw new Error(`GET /tasks/${taskId}: ${check.status} ${JSON.stringify(check.body)}`);
    const loadDir = path.join(WORK_DIR, 'load');
    await fs.mkdir(loadDir, { recursive: true });
    const routes = (process.env.VZ_BENCH_ROUTES ?? 'live,task,taskOpen').split(',');
    let window: [number, number] | undefined;
    for (const name of routes) {
      const request =
        name === 'live'
          ? { url: `${gateway.url}/health/live` }
          : { url: `${gateway.url}/tasks/${name === 'taskOpen' ? openTaskId : taskId}`, headers: auth };
      const baseline = await measureLoad(loadDir, `bare-before-${name}`, { url: `${bare.url}/` });
      const from = nowUs();
      const result = await measureLoad(loadDir, name, request);
      window = [from, nowUs()];
      process.stdout.write(
        `${name}: ${result.rps.toFixed(0)} rps p99 ${result.p99Ms.toFixed(2)} ms errors ${result.errors}; bare ${baseline.rps.toFixed(0)} rps → ${(result.rps / baseline.rps).toFixed(2)}×\n`,
      );
    }
    await gateway.stop();
    if (profiled && window) {
      const file = (await fs.readdir(profileDir)).find((f) => f.endsWith('.cpuprofile'));
      if (!file) throw new Error('no profile written');
      const summary = summarizeCpuProfile(path.join(profileDir, file), window[0], window[1], Number(process.env.VZ_BENCH_TOP ?? 30));
      process.stdout.write(`gateway busy ${summary.busyMs.toFixed(0)} ms of ${summary.windowMs.toFixed(0)} ms (warm-up included)\n`);
      for (const table of ['packages', 'functions', 'ownCallers'] as const) {
        process.stdout.write(`-- ${table}\n`);
        for (const e of summary[table])
          process.stdout.write(`${e.selfMs.toFixed(0).padStart(6)} ms ${e.percent.toFixed(1).padStart(5)}%  ${e.name} ${e.where}\n`);
      }
    }
  } finally {
    await gateway.stop();
    await bare.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`gateway profile failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
