// Host labels (string → string) and the `label=key=value` filters of
// `GET /hosts` and deployment targets. Bounded so that a label map stays a
// small jsonb value the GIN index serves well.

export type Labels = Record<string, string>;

export const LABEL_KEY = /^[a-z0-9]([a-z0-9._/-]{0,62})$/;
export const MAX_LABEL_VALUE_LENGTH = 128;
export const MAX_LABELS = 32;

// Control characters would make labels unreadable in logs and the CLI.
const CONTROL = /[\u0000-\u001f\u007f]/;

export function labelKeyProblem(key: string): string | null {
  return LABEL_KEY.test(key) ? null : 'key must be 1-63 characters of a-z, 0-9, ".", "_", "/", "-", starting with a letter or digit';
}

export function labelValueProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'value must be a string';
  if (value.length > MAX_LABEL_VALUE_LENGTH) return `value must be at most ${MAX_LABEL_VALUE_LENGTH} characters`;
  if (CONTROL.test(value)) return 'value must not contain control characters';
  return null;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Every problem of a label map, worded relative to the map (`env: value must
 * be …`), so callers prefix the field path they know (`hosts[3].labels`).
 */
export function labelsProblems(value: unknown): string[] {
  if (!isPlainObject(value)) return ['must be an object of string keys to string values'];
  const entries = Object.entries(value);
  const problems: string[] = [];
  if (entries.length > MAX_LABELS) problems.push(`at most ${MAX_LABELS} labels are allowed`);
  for (const [key, labelValue] of entries) {
    const keyProblem = labelKeyProblem(key);
    // A bad key is quoted (and cut short) so that it cannot garble the message.
    const where = keyProblem ? `key ${JSON.stringify(key.slice(0, 64))}` : key;
    if (keyProblem) problems.push(`${where}: ${keyProblem}`);
    const valueProblem = labelValueProblem(labelValue);
    if (valueProblem) problems.push(`${where}: ${valueProblem}`);
  }
  return problems;
}

export type LabelFilterResult = { ok: true; labels: Labels } | { ok: false; errors: string[] };

/**
 * Parses repeated `label=key=value` query parameters (split at the first "=",
 * so values may contain "="). All filters must match; asking for two values of
 * one key can never match and is refused rather than answered with nothing.
 */
export function parseLabelFilters(raw: string | string[] | undefined, field = 'label'): LabelFilterResult {
  const filters = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const labels: Labels = {};
  const errors: string[] = [];
  if (filters.length > MAX_LABELS) {
    return { ok: false, errors: [`${field}: at most ${MAX_LABELS} label filters are allowed`] };
  }
  for (const filter of filters) {
    if (typeof filter !== 'string') {
      errors.push(`${field}: must be key=value`);
      continue;
    }
    const at = filter.indexOf('=');
    if (at < 0) {
      errors.push(`${field}: ${JSON.stringify(filter.slice(0, 64))} must be key=value`);
      continue;
    }
    const key = filter.slice(0, at);
    const value = filter.slice(at + 1);
    const problem = labelKeyProblem(key) ?? labelValueProblem(value);
    if (problem) {
      errors.push(`${field}: ${JSON.stringify(filter.slice(0, 64))}: ${problem}`);
      continue;
    }
    if (Object.hasOwn(labels, key) && labels[key] !== value) {
      errors.push(`${field}: key ${key} is given twice with different values`);
      continue;
    }
    labels[key] = value;
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, labels };
}
