// Parsers for the values of command-line flags. Each returns the value or
// throws UsageError naming the flag, so that a typo exits 2 with a message
// that says which flag and what it should look like.
import { LABEL_KEY, MAX_LABEL_VALUE_LENGTH } from '../../../libs/inventory/src/core/labels';
import { UsageError } from './cli-errors';
import { parseDurationMs } from './duration';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PERCENT = /^(\d{1,3})%$/;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** `a,b , c` → [a, b, c]; empty items are refused. */
export function parseList(flag: string, raw: string): string[] {
  const items = raw.split(',').map((item) => item.trim());
  if (items.length === 0 || items.some((item) => item === '')) {
    throw new UsageError(`${flag}: expected a comma-separated list without empty items, got ${JSON.stringify(raw)}`);
  }
  return items;
}

/**
 * `role=web,env=prod` → {role: web, env: prod}. A value may hold "=" (split
 * at the first one) but not ","; keys follow the label key rule of the
 * gateway so that a typo fails here, before any request.
 */
export function parseLabels(flag: string, raw: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of parseList(flag, raw)) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`${flag}: ${JSON.stringify(pair)} must be key=value`);
    const key = pair.slice(0, at);
    const value = pair.slice(at + 1);
    if (!LABEL_KEY.test(key)) {
      throw new UsageError(
        `${flag}: label key ${JSON.stringify(key)} must be 1-63 characters of a-z, 0-9, ".", "_", "/", "-", starting with a letter or digit`,
      );
    }
    if (value.length > MAX_LABEL_VALUE_LENGTH) {
      throw new UsageError(`${flag}: the value of ${key} must be at most ${MAX_LABEL_VALUE_LENGTH} characters`);
    }
    if (Object.hasOwn(labels, key) && labels[key] !== value) {
      throw new UsageError(`${flag}: ${key} is given twice with different values`);
    }
    labels[key] = value;
  }
  return labels;
}

/** A count (`5`) or a whole percentage (`10%`), as the strategy takes them. */
export function parseSize(flag: string, raw: string, { allowZero = false } = {}): number | string {
  const text = raw.trim();
  const percent = PERCENT.exec(text);
  if (percent) {
    const value = Number(percent[1]);
    if (value > 100 || (!allowZero && value === 0)) throw new UsageError(`${flag}: ${text} must be from ${allowZero ? 0 : 1}% to 100%`);
    return text;
  }
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    if (!Number.isSafeInteger(value) || (!allowZero && value === 0)) {
      throw new UsageError(`${flag}: ${text} must be a count ${allowZero ? '≥ 0' : '≥ 1'} or a percentage like 10%`);
    }
    return value;
  }
  throw new UsageError(`${flag}: ${JSON.stringify(text)} must be a count (5) or a percentage (10%)`);
}

/** `1,10%,50%,100%` → [1, "10%", "50%", "100%"]. */
export function parseSteps(flag: string, raw: string): (number | string)[] {
  return parseList(flag, raw).map((item) => parseSize(flag, item));
}

/** A positive whole number such as `--max-parallel 20`. */
export function parsePositiveInteger(flag: string, raw: string): number {
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1 || !Number.isSafeInteger(Number(raw))) {
    throw new UsageError(`${flag}: ${JSON.stringify(raw)} must be a whole number ≥ 1`);
  }
  return Number(raw);
}

/** `0,2` → [0, 2]: step indices, counted from 0. */
export function parseIndices(flag: string, raw: string): number[] {
  return parseList(flag, raw).map((item) => {
    if (!/^\d+$/.test(item)) throw new UsageError(`${flag}: ${JSON.stringify(item)} must be a step index (0, 1, …)`);
    return Number(item);
  });
}

/** A duration in milliseconds (`30s`, `5m`, `1h`, or seconds). */
export function parseDurationFlag(flag: string, raw: string): number {
  const ms = parseDurationMs(raw);
  if (ms === null) throw new UsageError(`${flag}: ${JSON.stringify(raw)} must be a duration such as 30s, 5m, 1h or 1h30m`);
  return ms;
}

/** A duration that must be whole seconds, as `bakeSeconds` is. */
export function parseWholeSeconds(flag: string, raw: string): number {
  const ms = parseDurationFlag(flag, raw);
  if (ms % 1_000 !== 0) throw new UsageError(`${flag}: ${raw} must be whole seconds`);
  return ms / 1_000;
}
