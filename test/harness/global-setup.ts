import { Client } from 'pg';
import Redis from 'ioredis';
import { serviceUrls, testDatabaseName, testDatabaseUrl, testRedisUrl } from './test-env';
import { startContainersIfPossible } from './containers';

/**
 * Real PostgreSQL and Redis for the integration and e2e suites: the ones
 * `scripts/services.sh up` started (or DATABASE_URL/REDIS_URL), else
 * testcontainers where a Docker engine exists. A fresh test database is
 * migrated for each run.
 */
export default async function globalSetup(): Promise<void> {
  let { databaseUrl, redisUrl } = serviceUrls();
  if (!databaseUrl || !redisUrl) {
    const started = await startContainersIfPossible();
    if (!started) {
      throw new Error('No PostgreSQL/Redis for tests: run `bash scripts/services.sh up` (or set DATABASE_URL and REDIS_URL).');
    }
    ({ databaseUrl, redisUrl } = started);
  }
  const name = testDatabaseName();
  const testDb = testDatabaseUrl(databaseUrl);
  const admin = new Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name]);
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const { runMigrations } = await import('../../libs/database/src/migrator');
  await runMigrations(testDb, false);

  const redis = new Redis(testRedisUrl(redisUrl), { lazyConnect: true });
  await redis.connect();
  await redis.flushdb();
  redis.disconnect();

  process.env.DATABASE_URL = testDb;
  process.env.REDIS_URL = testRedisUrl(redisUrl);
}
