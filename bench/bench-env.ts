// Where the benchmark runs: its own PostgreSQL database and Redis db on the
// project's services, its own work directory, and the apps built in dist/.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import Redis from 'ioredis';
import { findRepoRoot } from '../test/fleet/fleet';

const execFileAsync = promisify(execFile);

export const REPO_ROOT = findRepoRoot(__dirname);
/** Git-ignored: inventories, playbooks, known_hosts, logs and CPU profiles of the last run. */
export const WORK_DIR = path.join(REPO_ROOT, '.vulnzero', 'bench');

export interface BenchServices {
  databaseUrl: string;
  redisUrl: string;
}

/** `DATABASE_URL`/`REDIS_URL` from the environment, else the project's local services (started if needed). */
export async function benchServices(): Promise<BenchServices> {
  const envFile = path.join(REPO_ROOT, '.vulnzero', 'services.env');
  if (!process.env.DATABASE_URL || !process.env.REDIS_URL) {
    if (!existsSync(envFile)) {
      await execFileAsync('bash', [path.join(REPO_ROOT, 'scripts', 'services.sh'), 'up'], { cwd: REPO_ROOT });
    }
  }
  const fromFile: Record<string, string> = {};
  if (existsSync(envFile)) {
    for (const line of readFileSync(envFile, 'utf8').split('\n')) {
      const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
      if (match) fromFile[match[1] as string] = match[2] as string;
    }
  }
  const baseDb = process.env.DATABASE_URL ?? fromFile.DATABASE_URL;
  const baseRedis = process.env.REDIS_URL ?? fromFile.REDIS_URL;
  if (!baseDb || !baseRedis) throw new Error('no DATABASE_URL/REDIS_URL: run `bash scripts/services.sh up` first');

  const dbName = process.env.VZ_BENCH_DB ?? 'vulnzero_bench';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(dbName)) throw new Error(`VZ_BENCH_DB ${dbName} is not a plain database name`);
  const redisDb = process.env.VZ_BENCH_REDIS_DB ?? '6';
  if (!/^\d{1,2}$/.test(redisDb)) throw new Error(`VZ_BENCH_REDIS_DB ${redisDb} is not a Redis db number`);

  const databaseUrl = new URL(baseDb);
  databaseUrl.pathname = `/${dbName}`;
  const redisUrl = new URL(baseRedis);
  redisUrl.pathname = `/${redisDb}`;
  return { databaseUrl: databaseUrl.toString(), redisUrl: redisUrl.toString() };
}

/** Drops and recreates the bench database, empties the bench Redis db, and migrates. */
export async function freshState(services: BenchServices): Promise<void> {
  const dbName = new URL(services.databaseUrl).pathname.slice(1);
  const adminUrl = new URL(services.databaseUrl);
  adminUrl.pathname = '/postgres';
  const admin = new Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  try {
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [dbName]);
    await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
    await admin.query(`CREATE DATABASE ${dbName}`);
  } finally {
    await admin.end();
  }
  const redis = new Redis(services.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
  await execFileAsync(process.execPath, [path.join(REPO_ROOT, 'dist', 'libs', 'database', 'src', 'run-migrations.js')], {
    env: { ...process.env, DATABASE_URL: services.databaseUrl, REDIS_URL: services.redisUrl },
  });
}

export async function ensureWorkDir(): Promise<void> {
  await fs.mkdir(WORK_DIR, { recursive: true });
}

/** Installs a Debian package when its command is missing (as root; the bench needs root for the fleet anyway). */
export async function ensureAptCommand(command: string, pkg: string): Promise<string> {
  const found = await execFileAsync('sh', ['-c', `command -v ${command}`]).then(
    ({ stdout }) => stdout.trim(),
    () => '',
  );
  if (found) return found;
  if (process.getuid?.() !== 0) throw new Error(`${command} is missing: apt-get install -y ${pkg}`);
  process.stdout.write(`[bench] installing ${pkg} with apt-get\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await execFileAsync('apt-get', ['install', '-y', '-qq', pkg], { env, maxBuffer: 64 * 1024 * 1024 }).catch(async () => {
    await execFileAsync('apt-get', ['update', '-qq'], { env, maxBuffer: 64 * 1024 * 1024 });
    await execFileAsync('apt-get', ['install', '-y', '-qq', pkg], { env, maxBuffer: 64 * 1024 * 1024 });
  });
  return (await execFileAsync('sh', ['-c', `command -v ${command}`])).stdout.trim();
}
