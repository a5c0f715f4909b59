// The command's HTTP client: bearer token, JSON in and out, and every error
// answer turned into one clear line with the right exit code (the error body
// of docs/api.md#errors: {statusCode, error, message, requestId}).
import { GatewayError, NetworkError, UsageError } from './cli-errors';
import { exitCodeForHttpStatus } from './exit-codes';

const REQUEST_TIMEOUT_MS = 60_000;

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  query?: Record<string, string | string[] | undefined>;
  signal?: AbortSignal;
}

interface ErrorBody {
  message?: unknown;
  requestId?: unknown;
}

/** `http://gw:3000/` → `http://gw:3000`; refuses what is not an http(s) URL. */
export function normalizeBaseUrl(raw: string, source: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${source}: ${JSON.stringify(raw)} is not a URL (expected e.g. https://vulnzero.example.com)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${source}: ${JSON.stringify(raw)} must be an http:// or https:// URL`);
  }
  if (url.search || url.hash) throw new UsageError(`${source}: ${JSON.stringify(raw)} must not carry a query or fragment`);
  return url.toString().replace(/\/+$/, '');
}

/** Why fetch failed, in words: `connection refused (ECONNREFUSED)`. */
export function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? (error as { code?: string }).code;
  const known: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'host name not found',
    EAI_AGAIN: 'host name lookup failed',
    ECONNRESET: 'connection reset',
    ETIMEDOUT: 'connection timed out',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
    UND_ERR_SOCKET: 'connection closed by the other side',
    CERT_HAS_EXPIRED: 'TLS certificate has expired',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed TLS certificate',
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate cannot be verified',
  };
  if ((error as Error).name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000}s`;
  if (code && known[code]) return `${known[code]} (${code})`;
  return cause?.message ?? (error as Error).message ?? String(error);
}

function messageLines(body: unknown): string[] {
  const message = (body as ErrorBody | null)?.message;
  if (Array.isArray(message)) return message.map(String);
  if (typeof message === 'string' && message) return [message];
  if (typeof body === 'string' && body.trim()) return [body.trim().slice(0, 200)];
  return [];
}

/** The GatewayError of an error answer: one line, plus the validation messages of a 400. */
export function gatewayError(method: string, path: string, status: number, body: unknown, retryAfter?: string | null): GatewayError {
  const lines = messageLines(body);
  const requestId = typeof (body as ErrorBody | null)?.requestId === 'string' ? ((body as ErrorBody).requestId as string) : undefined;
  const first = lines[0] ?? '';
  const what = `${method} ${path}`;
  let message: string;
  let details: string[] = [];
  switch (status) {
    case 401:
      message = `not authenticated (401): ${first || 'the token was refused'}; check VULNZERO_TOKEN or --token`;
      break;
    case 403:
      message = `permission denied (403) for ${what}: ${first || 'the token lacks the permission'}`;
      break;
    case 404:
      message = `not found (404): ${first || what}`;
      break;
    case 429: {
      const wait = retryAfter && /^\d+$/.test(retryAfter) ? ` retry after ${retryAfter}s` : ' retry later';
      message = `rate limited (429) on ${what}:${wait}`;
      break;
    }
    case 400:
    case 422:
      message = `the gateway refused ${what} (${status}):`;
      details = lines.length > 0 ? lines : ['(no reason given)'];
      if (lines.length === 1) {
        message = `the gateway refused ${what} (${status}): ${first}`;
        details = [];
      }
      break;
    default:
      message = `${what} failed (${status}${lines.length === 0 ? '' : `): ${lines.join('; ')}`}${lines.length === 0 ? ')' : ''}`;
  }
  return new GatewayError(message, status, exitCodeForHttpStatus(status), details, requestId);
}

export class GatewayClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  url(path: string, query: RequestOptions['query'] = {}): string {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, item);
    }
    return url.toString();
  }

  get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', path, options);
  }

  post<T>(path: string, body: unknown = {}, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', path, { ...options, body });
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options);
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // not JSON (a proxy's page): kept as text for the message
    }
    if (!response.ok) throw gatewayError(method, path, response.status, body, response.headers.get('retry-after'));
    return body as T;
  }

  /** The raw response (for the event stream); error statuses still throw. */
  async stream(path: string, signal: AbortSignal, headers: Record<string, string> = {}): Promise<Response> {
    const response = await this.send('GET', path, { signal, headers: { accept: 'text/event-stream', ...headers } }, false);
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the text
      }
      throw gatewayError('GET', path, response.status, body, response.headers.get('retry-after'));
    }
    return response;
  }

  /** Every page of a cursor-paginated list route. */
  async listAll<T>(path: string, query: Record<string, string | string[] | undefined> = {}, max = 100_000): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.get<{ items: T[]; nextCursor: string | null }>(path, { query: { ...query, limit: '500', cursor } });
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor && items.length < max);
    return items;
  }

  private async send(method: string, path: string, options: RequestOptions, timeout = true): Promise<Response> {
    const signals = [options.signal, timeout ? AbortSignal.timeout(REQUEST_TIMEOUT_MS) : undefined].filter(
      (s): s is AbortSignal => s !== undefined,
    );
    try {
      return await fetch(this.url(path, options.query), {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: 'application/json',
          'user-agent': 'vulnzero-cli',
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
        body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
        signal: signals.length > 0 ? AbortSignal.any(signals) : undefined,
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new NetworkError(`cannot reach the gateway at ${this.baseUrl}: ${describeNetworkError(error)}`);
    }
  }
}
