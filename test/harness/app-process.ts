import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { appEnv, REPO_ROOT } from './test-env';

export interface AppProcess {
  child: ChildProcess;
  url: string;
  logs: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/**
 * How long an app may take to start. Loading NestJS takes about a second on
 * an idle machine but many times that on a loaded 2-core one; a slow start is
 * not what any suite tests, so the bound only catches an app that never starts
 * (VZ_TEST_START_TIMEOUT_MS raises it further).
 */
const START_TIMEOUT_MS = Number(process.env.VZ_TEST_START_TIMEOUT_MS ?? 60_000);

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Starts a built app (`npm run build` first) as a real process. */
export function spawnApp(app: 'gateway' | 'worker', env: Record<string, string>): AppProcess {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'dist', 'apps', app, 'src', 'main.js')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return {
    child,
    url: `http://127.0.0.1:${env.PORT ?? ''}`,
    logs: () => output,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (
      await Promise.resolve()
        .then(check)
        .catch(() => false)
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function startGateway(overrides: Record<string, string> = {}): Promise<AppProcess> {
  const port = String(await freePort());
  const proc = spawnApp('gateway', appEnv({ PORT: port, HOST: '127.0.0.1', ...overrides }));
  await waitFor(
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`gateway exited:\n${proc.logs()}`);
      return (await fetch(`${proc.url}/health/live`)).ok;
    },
    START_TIMEOUT_MS,
    'gateway /health/live',
  ).catch((error) => {
    // Never left running behind a failed start: it would take the next runs' jobs.
    proc.child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${proc.logs()}`);
  });
  return proc;
}

export async function startWorker(overrides: Record<string, string> = {}): Promise<AppProcess> {
  const proc = spawnApp('worker', appEnv(overrides));
  await waitFor(() => proc.logs().includes('worker ready'), START_TIMEOUT_MS, 'worker ready').catch((error) => {
    proc.child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${proc.logs()}`);
  });
  return proc;
}
