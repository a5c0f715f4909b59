import { execFileSync } from 'node:child_process';

/**
 * Fallback for machines with a Docker engine and no local services:
 * PostgreSQL and Redis in containers. Returns null where no engine runs.
 */
export async function startContainersIfPossible(): Promise<{ databaseUrl: string; redisUrl: string } | null> {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 5000 });
  } catch {
    return null;
  }
  const { GenericContainer } = await import('testcontainers');
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const pg = await new PostgreSqlContainer('postgres:15').withUsername('vulnzero').withPassword('vulnzero').start();
  const redis = await new GenericContainer('redis:7').withExposedPorts(6379).start();
  return {
    databaseUrl: pg.getConnectionUri(),
    redisUrl: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
  };
}
