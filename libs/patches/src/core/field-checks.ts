// Field checks shared by the parts of a patch definition: each names the
// problem of one value, so a 400 lists every bad field in one answer.
import type { FieldProblem } from './field-problem';
import { PATCH_LIMITS } from './patch-limits';
import { findPlaceholders } from './placeholders';

export type Plain = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// null means "not set" for every field: a patch view sent back as input has
// `verify: null` and `package: null`.
export function isGiven(value: unknown): boolean {
  return value !== undefined && value !== null;
}

export function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

export function commandProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  if (value.trim() === '') return 'must not be empty';
  if (utf8Length(value) > PATCH_LIMITS.commandBytes) {
    return `must be at most ${PATCH_LIMITS.commandBytes} bytes`;
  }
  return null;
}

export function integerProblem(value: unknown, min: number, max: number): string | null {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
    ? null
    : `must be an integer from ${min} to ${max}`;
}

/**
 * Captured values are only ever rendered into `rollback`; anywhere else a
 * `{{name}}` would reach the shell literally, which is never what was meant.
 */
export function placeholderProblem(command: string, where: string): string | null {
  const names = findPlaceholders(command);
  if (names.length === 0) return null;
  return `${names.map((n) => `{{${n}}}`).join(', ')}: placeholders are filled only in rollback commands, not in ${where}`;
}

export class ProblemList {
  readonly items: FieldProblem[] = [];
  add(field: string, message: string | null): void {
    if (message !== null) this.items.push({ field, message });
  }
}
