import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** The repository root, from the sources (jest) or from dist/ (the chaos script). */
export const REPO_ROOT = ((): string => {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) || existsSync(join(dir, 'tsconfig.build.json')) === false) {
    const parent = join(dir, '..');
    if (parent === dir) return join(__dirname, '..', '..');
    dir = parent;
  }
  return dir;
})();

/** DATABASE_URL / REDIS_URL from the environment, else from `scripts/services.sh up`. */
export function serviceUrls(): { databaseUrl?: string; redisUrl?: string } {
  const fromFile: Record<string, string> = {};
  const file = join(REPO_ROOT, '.vulnzero', 'services.env');
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
      if (match) fromFile[match[1] as string] = match[2] as string;
    }
  }
  return {
    databaseUrl: process.env.VZ_TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? fromFile.DATABASE_URL,
    redisUrl: process.env.VZ_TEST_REDIS_URL ?? process.env.REDIS_URL ?? fromFile.REDIS_URL,
  };
}

/** The database the suites use: the service's server, a database of its own. */
export function testDatabaseUrl(baseUrl: string, name = testDatabaseName()): string {
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Concurrent runs on one machine (several developers' agents, or a run beside
 * the demo) each take their own database and Redis db with VZ_TEST_DB and
 * VZ_TEST_REDIS_DB; a run drops and recreates its database at start.
 */
export function testDatabaseName(): string {
  const name = process.env.VZ_TEST_DB ?? 'vulnzero_test';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`VZ_TEST_DB ${name} is not a plain database name`);
  return name;
}

/** Redis db 1 by default keeps test queues apart from a demo running on db 0. */
export function testRedisUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  url.pathname = `/${process.env.VZ_TEST_REDIS_DB ?? '1'}`;
  return url.toString();
}

/** A full, valid environment for gateway and worker processes under test. */
export function appEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    DATABASE_URL: process.env.DATABASE_URL ?? '',
    REDIS_URL: process.env.REDIS_URL ?? '',
    JWT_SECRET: process.env.VZ_TEST_JWT_SECRET ?? 'test-jwt-secret-0123456789abcdef0123456789',
    VULNZERO_MASTER_KEY: process.env.VZ_TEST_MASTER_KEY ?? Buffer.alloc(32, 7).toString('base64'),
    LOG_LEVEL: 'info',
    // One admin for every suite: the first gateway of a run creates it.
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD: 'Sturdy-Root-Pass-2026',
    // Suites log in often; the login limit itself is tested with its default.
    LOGIN_RATE_LIMIT_PER_MINUTE: '10000',
    LOGIN_ADDRESS_FAILURES_PER_MINUTE: '10000',
    LOGIN_USERNAME_FREE_FAILURES: '10000',
    INVALID_TOKEN_LIMIT_PER_MINUTE: '10000',
    RATE_LIMIT_PER_MINUTE: '100000',
    // Suites about deployments approve the patches they write; the four-eyes
    // rule itself is tested with its default (keys-and-audit.e2e-spec.ts).
    REQUIRE_SEPARATE_APPROVER: 'false',
    ...overrides,
  };
  return env;
}

export function randomSuffix(): string {
  return randomBytes(4).toString('hex');
}
