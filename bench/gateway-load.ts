// HTTP load with wrk: requests a second and p99 latency of a route, each
// measured right after the same settings on a bare constant route.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface LoadResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Responses that were not 2xx/3xx, and socket errors: a run with any is not a valid figure. */
  errors: number;
}

export interface LoadRequest {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export const WRK_THREADS = 1;
export const WRK_CONNECTIONS = 16;
export const WRK_SECONDS = 8;
export const WRK_WARMUP_SECONDS = 2;

function toMs(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n;
}

export function parseWrk(output: string): LoadResult {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? NaN);
  const percentile = (p: string) => {
    const match = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(output);
    return match ? toMs(match[1] as string, match[2] as string) : NaN;
  };
  const requests = Number(/(\d+) requests in/.exec(output)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(output)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return { rps, p50Ms: percentile('50'), p99Ms: percentile('99'), requests, errors: non2xx + socketErrors };
}

/** A wrk Lua script setting method, headers and body (wrk's -H cannot send a body). */
async function luaScript(dir: string, name: string, request: LoadRequest): Promise<string> {
  const file = path.join(dir, `${name}.lua`);
  const lines = [`wrk.method = "${request.method ?? 'GET'}"`];
  for (const [key, value] of Object.entries(request.headers ?? {})) lines.push(`wrk.headers[ [==[${key}]==] ] = [==[${value}]==]`);
  if (request.body !== undefined) lines.push(`wrk.body = [==[${request.body}]==]`);
  await fs.writeFile(file, lines.join('\n') + '\n');
  return file;
}

async function wrk(script: string, url: string, seconds: number): Promise<string> {
  const { stdout } = await execFileAsync(
    'wrk',
    ['-t', String(WRK_THREADS), '-c', String(WRK_CONNECTIONS), '-d', `${seconds}s`, '--latency', '-s', script, url],
    { maxBuffer: 4 * 1024 * 1024, timeout: (seconds + 30) * 1000 },
  );
  return stdout;
}

/** A short warm-up (JIT, connection pools), then the measured run. */
export async function measureLoad(dir: string, name: string, request: LoadRequest): Promise<LoadResult> {
  const script = await luaScript(dir, name, request);
  await wrk(script, request.url, WRK_WARMUP_SECONDS);
  const output = await wrk(script, request.url, WRK_SECONDS);
  await fs.writeFile(path.join(dir, `${name}.wrk.txt`), output);
  return parseWrk(output);
}
