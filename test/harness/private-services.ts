import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort, waitFor } from './app-process';

// Private PostgreSQL and Redis servers for fault tests: stopping and
// restarting them must not disturb the shared services other suites use.

const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface PrivateRedis {
  url: string;
  /** Stops gracefully (the AOF is flushed) and starts again on the same data. */
  restart(downMs?: number): Promise<void>;
  /** Stops and starts again with no data: every job and key is gone. */
  restartEmpty(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let dir = mkdtempSync(join(tmpdir(), 'vz-redis-'));
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', dir], {
      stdio: 'ignore',
    });
    await waitFor(
      () => {
        try {
          execFileSync('redis-cli', ['-p', String(port), 'ping'], { stdio: 'pipe' });
          return true;
        } catch {
          return false;
        }
      },
      10_000,
      'private redis',
    );
  };
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
  };
  await start();
  return {
    url,
    restart: async (downMs = 1000) => {
      await stop();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
    },
    restartEmpty: async () => {
      await stop();
      dir = mkdtempSync(join(tmpdir(), 'vz-redis-'));
      await start();
    },
    stop,
  };
}

export interface PrivatePostgres {
  /** postgres://… of a database already migrated. */
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

function asPostgres(args: string[]): void {
  const command = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', ...args]] : [args[0] as string, args.slice(1)];
  execFileSync(command[0] as string, command[1] as string[], { stdio: 'pipe' });
}

export async function startPrivatePostgres(migrate: (url: string) => Promise<unknown>): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'vz-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const port = await freePort();
  asPostgres([`${PG_BIN}/initdb`, '-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8']);
  const start = async () => {
    asPostgres([
      `${PG_BIN}/pg_ctl`,
      '-D',
      data,
      '-l',
      join(dir, 'log'),
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      '-w',
      'start',
    ]);
  };
  const stop = async () => {
    asPostgres([`${PG_BIN}/pg_ctl`, '-D', data, '-m', 'fast', '-w', 'stop']);
  };
  await start();
  const admin = new Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
  await admin.connect();
  await admin.query('CREATE DATABASE vulnzero');
  await admin.end();
  const url = `postgres://postgres@127.0.0.1:${port}/vulnzero`;
  await migrate(url);
  return {
    url,
    stop,
    start,
    destroy: async () => {
      await stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
