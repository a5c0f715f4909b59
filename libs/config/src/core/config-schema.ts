// The whole configuration surface in one table, so the validator, `.env.example`
// and the README's configuration table are checked against one source.
import { DEFAULT_HOST_NETWORKS, parseNetworkPolicy, type NetworkPolicy } from './ip-networks';

export type AppRole = 'gateway' | 'worker' | 'migrate' | 'cli';

export interface VariableSpec {
  name: string;
  description: string;
  /** Roles that cannot start without it. */
  requiredBy: AppRole[];
  default?: string;
  /** Returns an error message, or null when the raw value is acceptable. */
  check: (raw: string) => string | null;
  secret?: boolean;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function urlWithProtocols(protocols: string[]) {
  return (raw: string): string | null => {
    try {
      const url = new URL(raw);
      return protocols.includes(url.protocol) ? null : `must be a URL with protocol ${protocols.join(' or ')}`;
    } catch {
      return 'must be a valid URL';
    }
  };
}

function integerBetween(min: number, max: number) {
  return (raw: string): string | null =>
    /^\d+$/.test(raw) && Number(raw) >= min && Number(raw) <= max ? null : `must be an integer from ${min} to ${max}`;
}

function minLength(length: number) {
  return (raw: string): string | null => (raw.length >= length ? null : `must be at least ${length} characters`);
}

function base64Bytes(bytes: number) {
  return (raw: string): string | null => {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(raw)) return `must be ${bytes} bytes, base64-encoded`;
    return Buffer.from(raw, 'base64').length === bytes ? null : `must be ${bytes} bytes, base64-encoded (openssl rand -base64 ${bytes})`;
  };
}

function originList(raw: string): string | null {
  if (raw.trim() === '') return null;
  for (const origin of raw.split(',').map((o) => o.trim())) {
    try {
      const url = new URL(origin);
      if (url.origin !== origin) return `"${origin}" is not a bare origin (scheme://host[:port])`;
    } catch {
      return `"${origin}" is not a valid origin`;
    }
  }
  return null;
}

export const CONFIG_VARIABLES: VariableSpec[] = [
  {
    name: 'DATABASE_URL',
    description: 'PostgreSQL connection URL (the system of record).',
    requiredBy: ['gateway', 'worker', 'migrate'],
    check: urlWithProtocols(['postgres:', 'postgresql:']),
    secret: true,
  },
  {
    name: 'REDIS_URL',
    description: 'Redis URL for queues, rate limits and caches.',
    requiredBy: ['gateway', 'worker'],
    check: urlWithProtocols(['redis:', 'rediss:']),
    secret: true,
  },
  {
    name: 'PORT',
    description: 'HTTP port of the gateway.',
    requiredBy: [],
    default: '3000',
    check: integerBetween(1, 65535),
  },
  {
    name: 'HOST',
    description: 'Address the gateway listens on.',
    requiredBy: [],
    default: '0.0.0.0',
    check: (raw) => (raw.length > 0 ? null : 'must not be empty'),
  },
  {
    name: 'JWT_SECRET',
    description: 'HS256 secret for access tokens (at least 32 characters).',
    requiredBy: ['gateway'],
    check: minLength(32),
    secret: true,
  },
  {
    name: 'JWT_EXPIRES_IN_SECONDS',
    description: 'Lifetime of an access token.',
    requiredBy: [],
    default: '900',
    check: integerBetween(60, 86400),
  },
  {
    name: 'VULNZERO_MASTER_KEY',
    description: 'Encrypts SSH credentials at rest: 32 bytes, base64 (openssl rand -base64 32).',
    requiredBy: ['gateway', 'worker'],
    check: base64Bytes(32),
    secret: true,
  },
  {
    name: 'ADMIN_USERNAME',
    description: 'First admin, created at start when no user exists.',
    requiredBy: [],
    default: '',
    check: (raw) => (raw === '' || /^[a-zA-Z0-9_.-]{3,64}$/.test(raw) ? null : 'must be 3-64 of [a-zA-Z0-9_.-]'),
  },
  {
    name: 'ADMIN_PASSWORD',
    description: 'Password of the first admin (password policy applies).',
    requiredBy: [],
    default: '',
    check: (raw) => (raw === '' || raw.length >= 12 ? null : 'must be at least 12 characters'),
    secret: true,
  },
  {
    name: 'LOG_LEVEL',
    description: `Log level: ${LOG_LEVELS.join(', ')}.`,
    requiredBy: [],
    default: 'info',
    check: (raw) => (LOG_LEVELS.includes(raw) ? null : `must be one of ${LOG_LEVELS.join(', ')}`),
  },
  {
    name: 'CORS_ORIGINS',
    description: 'Comma-separated origins allowed by CORS (none by default).',
    requiredBy: [],
    default: '',
    check: originList,
  },
  {
    name: 'BODY_LIMIT_BYTES',
    description: 'Largest request body the gateway accepts (larger: 413).',
    requiredBy: [],
    default: '1048576',
    check: integerBetween(1024, 100 * 1024 * 1024),
  },
  {
    name: 'WORKER_CONCURRENCY',
    description: 'Jobs a worker runs at once per queue.',
    requiredBy: [],
    default: '4',
    check: integerBetween(1, 256),
  },
  {
    name: 'WORKER_JOB_LOCK_SECONDS',
    description: 'How long a dead worker keeps its jobs and deployment leases before another worker takes them over.',
    requiredBy: [],
    default: '30',
    check: integerBetween(2, 600),
  },
  {
    name: 'WORKER_SHUTDOWN_TIMEOUT_SECONDS',
    description: 'How long SIGTERM waits for in-flight jobs before the worker exits.',
    requiredBy: [],
    default: '60',
    check: integerBetween(1, 3600),
  },
  {
    name: 'RATE_LIMIT_PER_MINUTE',
    description: 'Requests a minute per caller (user, API key, or address when anonymous).',
    requiredBy: [],
    default: '600',
    check: integerBetween(1, 1_000_000),
  },
  {
    name: 'LOGIN_RATE_LIMIT_PER_MINUTE',
    description: 'Login attempts a minute per address and username.',
    requiredBy: [],
    default: '5',
    check: integerBetween(1, 10_000),
  },
  {
    name: 'LOGIN_ADDRESS_FAILURES_PER_MINUTE',
    description: 'Failed login attempts a minute from one address (IPv6: one /64) across all usernames; beyond it, 429.',
    requiredBy: [],
    default: '30',
    check: integerBetween(1, 100_000),
  },
  {
    name: 'LOGIN_USERNAME_FREE_FAILURES',
    description:
      'Failed login attempts on one username, from any address, before each further attempt waits a growing delay (1 s, 2 s, 4 s, …).',
    requiredBy: [],
    default: '10',
    check: integerBetween(1, 100_000),
  },
  {
    name: 'LOGIN_USERNAME_MAX_DELAY_SECONDS',
    description: 'Longest delay between login attempts on one username: the delay slows guessing, it never locks the account.',
    requiredBy: [],
    default: '30',
    check: integerBetween(1, 3600),
  },
  {
    name: 'INVALID_TOKEN_LIMIT_PER_MINUTE',
    description:
      'Requests a minute from one address (IPv6: one /64) with an invalid bearer token or API key; beyond it, 429 without looking the token up.',
    requiredBy: [],
    default: '30',
    check: integerBetween(1, 100_000),
  },
  {
    name: 'SSE_STREAMS_PER_CALLER',
    description: 'Live event streams (task events, host output follow) one caller may hold open on a gateway at once; beyond it, 429.',
    requiredBy: [],
    default: '20',
    check: integerBetween(1, 100_000),
  },
  {
    name: 'SSE_STREAMS_PER_GATEWAY',
    description: 'Live event streams one gateway holds open at once, all callers together; beyond it, 429.',
    requiredBy: [],
    default: '2000',
    check: integerBetween(1, 1_000_000),
  },
  {
    name: 'HOST_NETWORKS',
    description:
      'Networks host addresses may be in (comma-separated CIDRs, `!` before one excepts it), checked on the resolved address at registration, trust and every connection.',
    requiredBy: [],
    default: DEFAULT_HOST_NETWORKS,
    check: (raw) => {
      try {
        parseNetworkPolicy(raw);
        return null;
      } catch (error) {
        return (error as Error).message;
      }
    },
  },
  {
    name: 'SCAN_RATE_LIMIT_PER_MINUTE',
    description: 'Scans a caller may start a minute.',
    requiredBy: [],
    default: '10',
    check: integerBetween(1, 10_000),
  },
  {
    name: 'REQUIRE_SEPARATE_APPROVER',
    description: 'true: a patch must be approved by a user other than the one who created it (403 otherwise).',
    requiredBy: [],
    default: 'true',
    check: (raw) => (raw === 'true' || raw === 'false' ? null : 'must be true or false'),
  },
  {
    name: 'ROLLBACK_ARTIFACT_DAYS',
    description:
      'Days a package patch keeps the captured .deb files of a deployment that was not rolled back on its hosts (a later package capture removes older ones; a rollback removes its own).',
    requiredBy: [],
    default: '30',
    check: integerBetween(1, 3650),
  },
  {
    name: 'METRICS_TOKEN',
    description: 'Bearer token required by GET /metrics (unset: /metrics is disabled).',
    requiredBy: [],
    default: '',
    check: (raw) => (raw === '' || raw.length >= 16 ? null : 'must be at least 16 characters'),
    secret: true,
  },
  {
    name: 'METRICS_PORT',
    description: 'Port of the worker metrics listener (GET /metrics, GET /health/live); unset: no listener.',
    requiredBy: [],
    default: '',
    check: integerBetween(1, 65535),
  },
  {
    name: 'TRUST_PROXY',
    description: 'Express trust-proxy setting (e.g. 1 behind one load balancer; false: none).',
    requiredBy: [],
    default: 'false',
    check: (raw) => (raw === 'false' || raw === 'true' || /^\d+$/.test(raw) ? null : 'must be true, false or a hop count'),
  },
];

export interface AppConfig {
  databaseUrl: string;
  redisUrl: string;
  port: number;
  host: string;
  jwtSecret: string;
  jwtExpiresInSeconds: number;
  masterKey: Buffer;
  adminUsername: string;
  adminPassword: string;
  logLevel: string;
  corsOrigins: string[];
  bodyLimitBytes: number;
  workerConcurrency: number;
  workerShutdownTimeoutSeconds: number;
  workerJobLockSeconds: number;
  metricsToken: string;
  /** Worker metrics listener port; null: no listener. */
  metricsPort: number | null;
  rateLimitPerMinute: number;
  loginRateLimitPerMinute: number;
  scanRateLimitPerMinute: number;
  /** A patch's creator cannot approve it (four eyes). */
  requireSeparateApprover: boolean;
  /** Days the captured .deb files of a package patch deployment are kept on its hosts. */
  rollbackArtifactDays: number;
  loginAddressFailuresPerMinute: number;
  loginUsernameFreeFailures: number;
  loginUsernameMaxDelaySeconds: number;
  invalidTokenLimitPerMinute: number;
  sseStreamsPerCaller: number;
  sseStreamsPerGateway: number;
  /** Which addresses hosts may have (HOST_NETWORKS). */
  hostNetworks: NetworkPolicy;
  trustProxy: boolean | number;
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super('Invalid configuration:\n' + problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n'));
    this.name = 'ConfigValidationError';
  }
}

/**
 * Validates the environment for one role. Variables the role does not need may
 * be absent; any variable that is set must still be valid, so a typo never
 * silently falls back to a default.
 */
export function parseConfig(env: Record<string, string | undefined>, role: AppRole): AppConfig {
  const values: Record<string, string> = {};
  const problems: { variable: string; message: string }[] = [];
  for (const spec of CONFIG_VARIABLES) {
    const raw = env[spec.name];
    if (raw === undefined || raw === '') {
      if (spec.requiredBy.includes(role)) {
        problems.push({ variable: spec.name, message: `is required (${spec.description})` });
      }
      values[spec.name] = spec.default ?? '';
      continue;
    }
    const error = spec.check(raw);
    if (error) problems.push({ variable: spec.name, message: error });
    values[spec.name] = raw;
  }
  if (values.ADMIN_USERNAME !== '' && values.ADMIN_PASSWORD === '') {
    problems.push({ variable: 'ADMIN_PASSWORD', message: 'is required when ADMIN_USERNAME is set' });
  }
  if (problems.length > 0) throw new ConfigValidationError(problems);

  const trust = values.TRUST_PROXY;
  return {
    databaseUrl: values.DATABASE_URL,
    redisUrl: values.REDIS_URL,
    port: Number(values.PORT),
    host: values.HOST,
    jwtSecret: values.JWT_SECRET,
    jwtExpiresInSeconds: Number(values.JWT_EXPIRES_IN_SECONDS),
    masterKey: Buffer.from(values.VULNZERO_MASTER_KEY, 'base64'),
    adminUsername: values.ADMIN_USERNAME,
    adminPassword: values.ADMIN_PASSWORD,
    logLevel: values.LOG_LEVEL,
    corsOrigins: values.CORS_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    bodyLimitBytes: Number(values.BODY_LIMIT_BYTES),
    workerConcurrency: Number(values.WORKER_CONCURRENCY),
    workerShutdownTimeoutSeconds: Number(values.WORKER_SHUTDOWN_TIMEOUT_SECONDS),
    workerJobLockSeconds: Number(values.WORKER_JOB_LOCK_SECONDS),
    metricsToken: values.METRICS_TOKEN,
    metricsPort: values.METRICS_PORT === '' ? null : Number(values.METRICS_PORT),
    rateLimitPerMinute: Number(values.RATE_LIMIT_PER_MINUTE),
    loginRateLimitPerMinute: Number(values.LOGIN_RATE_LIMIT_PER_MINUTE),
    scanRateLimitPerMinute: Number(values.SCAN_RATE_LIMIT_PER_MINUTE),
    requireSeparateApprover: values.REQUIRE_SEPARATE_APPROVER === 'true',
    rollbackArtifactDays: Number(values.ROLLBACK_ARTIFACT_DAYS),
    loginAddressFailuresPerMinute: Number(values.LOGIN_ADDRESS_FAILURES_PER_MINUTE),
    loginUsernameFreeFailures: Number(values.LOGIN_USERNAME_FREE_FAILURES),
    loginUsernameMaxDelaySeconds: Number(values.LOGIN_USERNAME_MAX_DELAY_SECONDS),
    invalidTokenLimitPerMinute: Number(values.INVALID_TOKEN_LIMIT_PER_MINUTE),
    sseStreamsPerCaller: Number(values.SSE_STREAMS_PER_CALLER),
    sseStreamsPerGateway: Number(values.SSE_STREAMS_PER_GATEWAY),
    hostNetworks: parseNetworkPolicy(values.HOST_NETWORKS),
    trustProxy: trust === 'true' ? true : trust === 'false' ? false : Number(trust),
  };
}
