import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { REPO_ROOT } from './test-env';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `vulnzero` command against a gateway, with nothing of this process's environment but PATH. */
export async function runCli(
  args: string[],
  env: { VULNZERO_URL: string; VULNZERO_TOKEN?: string } & Record<string, string>,
): Promise<CliRun> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'vulnzero.js'), ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}
