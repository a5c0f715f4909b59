// A patch's health checks (docs/api.md#health-checks): their shapes, their
// validation field by field, and the defaults a stored check gets.
import { commandProblem, integerProblem, isGiven, isPlainObject, placeholderProblem, type Plain, type ProblemList } from './field-checks';
import { PATCH_LIMITS } from './patch-limits';

export type HealthCheckSource = 'worker' | 'host';

export type HealthCheck =
  | { type: 'command'; command: string; timeoutSeconds: number }
  | {
      type: 'http';
      port: number;
      path: string;
      expectStatus: number;
      from: HealthCheckSource;
      timeoutSeconds: number;
    }
  | { type: 'tcp'; port: number; from: HealthCheckSource; timeoutSeconds: number };

export type HealthCheckType = HealthCheck['type'];

export const DEFAULT_EXPECT_STATUS = 200;
export const DEFAULT_CHECK_SOURCE: HealthCheckSource = 'worker';

const CHECK_FIELDS: Record<HealthCheckType, readonly string[]> = {
  command: ['type', 'command', 'timeoutSeconds'],
  http: ['type', 'port', 'path', 'expectStatus', 'from', 'timeoutSeconds'],
  tcp: ['type', 'port', 'from', 'timeoutSeconds'],
};
const CHECK_TYPES = Object.keys(CHECK_FIELDS) as HealthCheckType[];
const CHECK_SOURCES: readonly HealthCheckSource[] = ['worker', 'host'];

// Visible ASCII only: the path goes into an HTTP request line (and, for
// `from: host`, into a command on the host), where spaces or control
// characters would split or smuggle a request.
const HTTP_PATH = /^\/[\x21-\x7e]*$/;

export function checkHealthCheck(problems: ProblemList, field: string, value: unknown): void {
  if (!isPlainObject(value)) {
    problems.add(field, 'must be an object with a type');
    return;
  }
  const type = value.type as HealthCheckType;
  if (!CHECK_TYPES.includes(type)) {
    // Without a type, no other field can be judged.
    problems.add(`${field}.type`, `must be one of ${CHECK_TYPES.join(', ')}`);
    return;
  }
  for (const key of Object.keys(value)) {
    if (!CHECK_FIELDS[type].includes(key)) {
      problems.add(`${field}.${key}`, `is not a field of a ${type} check`);
    }
  }
  if (type === 'command') {
    const problem = commandProblem(value.command);
    problems.add(`${field}.command`, problem);
    if (problem === null) {
      problems.add(`${field}.command`, placeholderProblem(value.command as string, 'health checks'));
    }
  } else {
    problems.add(`${field}.port`, integerProblem(value.port, 1, 65535));
    if (isGiven(value.from) && !CHECK_SOURCES.includes(value.from as HealthCheckSource)) {
      problems.add(`${field}.from`, `must be one of ${CHECK_SOURCES.join(', ')}`);
    }
  }
  if (type === 'http') {
    const path = value.path;
    if (typeof path !== 'string' || !HTTP_PATH.test(path) || path.length > PATCH_LIMITS.httpPathLength) {
      problems.add(
        `${field}.path`,
        `must start with "/" and be at most ${PATCH_LIMITS.httpPathLength} visible ASCII characters (no spaces)`,
      );
    }
    if (isGiven(value.expectStatus)) {
      problems.add(`${field}.expectStatus`, integerProblem(value.expectStatus, 100, 599));
    }
  }
  if (isGiven(value.timeoutSeconds)) {
    const { min, max } = PATCH_LIMITS.checkTimeoutSeconds;
    problems.add(`${field}.timeoutSeconds`, integerProblem(value.timeoutSeconds, min, max));
  }
}

export function normalizeHealthCheck(check: Plain): HealthCheck {
  const timeoutSeconds = (check.timeoutSeconds as number | undefined) ?? PATCH_LIMITS.checkTimeoutSeconds.default;
  const from = (check.from as HealthCheckSource | undefined) ?? DEFAULT_CHECK_SOURCE;
  switch (check.type as HealthCheckType) {
    case 'command':
      return { type: 'command', command: check.command as string, timeoutSeconds };
    case 'http':
      return {
        type: 'http',
        port: check.port as number,
        path: check.path as string,
        expectStatus: (check.expectStatus as number | undefined) ?? DEFAULT_EXPECT_STATUS,
        from,
        timeoutSeconds,
      };
    case 'tcp':
      return { type: 'tcp', port: check.port as number, from, timeoutSeconds };
  }
}
