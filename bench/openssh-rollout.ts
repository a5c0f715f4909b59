// The hand-written peer: `xargs -P 50 ssh …`, one step of the canary after the
// other, one connection per host, host keys verified against a known_hosts file.
import { spawn } from 'node:child_process';
import type { FleetHost } from '../test/fleet/fleet';
import { canaryBatches, MAX_PARALLEL, ONE_LINE } from './rollout';

export interface OpenSshOptions {
  privateKeyPath: string;
  knownHostsFile: string;
  username: string;
  /** e.g. `curve25519-sha256`; unset: OpenSSH's default preference (sntrup761x25519-sha512 first on 9.x). */
  kex?: string;
  timeoutMs?: number;
}

export function sshArgs(options: OpenSshOptions, port: number): string[] {
  return [
    '-F',
    '/dev/null', // no user or system client config: the defaults, or exactly what we add
    '-i',
    options.privateKeyPath,
    '-p',
    String(port),
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${options.knownHostsFile}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'ConnectTimeout=20',
    '-o',
    'LogLevel=ERROR',
    ...(options.kex ? ['-o', `KexAlgorithms=${options.kex}`] : []),
  ];
}

/** One `xargs -P 50 ssh` over `hosts`: the next host starts as soon as one of the 50 finishes. */
function runXargs(hosts: FleetHost[], options: OpenSshOptions, command: string): Promise<void> {
  const port = hosts[0]?.port ?? 22;
  const args = ['-P', String(MAX_PARALLEL), '-I', '{}', 'ssh', ...sshArgs(options, port), `${options.username}@{}`, command];
  return new Promise((resolve, reject) => {
    const child = spawn('xargs', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`xargs ssh exited ${code ?? signal}: ${stderr.trim()}`));
    });
    child.stdin.end(hosts.map((h) => h.address).join('\n') + '\n');
  });
}

/** Runs the whole canary, step after step; resolves with wall seconds. */
export async function runOpenSshRollout(hosts: FleetHost[], options: OpenSshOptions): Promise<number> {
  const started = process.hrtime.bigint();
  for (const batch of canaryBatches(hosts)) await runXargs(batch, options, ONE_LINE);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** `ssh … true` to every host at -P 50: the handshake alone. */
export async function bareHandshakes(hosts: FleetHost[], options: OpenSshOptions): Promise<number> {
  const started = process.hrtime.bigint();
  await runXargs(hosts, options, 'true');
  return Number(process.hrtime.bigint() - started) / 1e9;
}
