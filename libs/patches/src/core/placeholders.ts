import type { FieldProblem } from './field-problem';
import { quoteShellArg } from './shell-quote';

const NAME = '[A-Za-z_][A-Za-z0-9_]*';
const VALID_NAME = new RegExp(`^${NAME}$`);

// A fresh global regex per call: a shared one would carry `lastIndex` between calls.
function placeholderPattern(): RegExp {
  return new RegExp(`\\{\\{\\s*(${NAME})\\s*\\}\\}`, 'g');
}

/** Raised when a rollback command needs a value that capture did not produce. */
export class MissingCaptureError extends Error {
  constructor(readonly placeholder: string) {
    super(`no captured value for placeholder {{${placeholder}}}`);
    this.name = new.target.name;
  }
}

/** The distinct `{{name}}` placeholders of a command, in order of first use. */
export function findPlaceholders(command: string): string[] {
  const names = new Set<string>();
  for (const match of command.matchAll(placeholderPattern())) names.add(match[1]);
  return [...names];
}

/**
 * Replaces every `{{name}}` by the shell-quoted value.
 *
 * One `replace` pass over the template: a captured value that itself contains
 * `{{x}}` is inserted quoted and never scanned again, so a host cannot inject
 * placeholders (or shell) through its captured output.
 */
export function renderCommand(template: string, values: Record<string, string>): string {
  return template.replace(placeholderPattern(), (_whole, name: string) => {
    // Own keys only: `{{constructor}}` must not resolve to Object.prototype.
    if (!Object.hasOwn(values, name)) throw new MissingCaptureError(name);
    return quoteShellArg(values[name]);
  });
}

/**
 * Problems a patch's capture/rollback pair would only reveal on a host, where a
 * missing value would leave a change that cannot be undone.
 */
export function validatePatchPlaceholders(
  capture: Record<string, string>,
  rollback: string[],
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const key of Object.keys(capture)) {
    if (!VALID_NAME.test(key)) {
      problems.push({
        field: `capture.${key}`,
        message: `capture name must match ${NAME} to be usable as {{${key}}}`,
      });
    }
  }
  rollback.forEach((command, i) => {
    const field = `rollback[${i}]`;
    for (const name of findPlaceholders(command)) {
      if (!Object.hasOwn(capture, name)) {
        problems.push({ field, message: `{{${name}}} is not captured (capture has no "${name}")` });
      }
    }
    for (const name of placeholdersInsideQuotes(command)) {
      problems.push({
        field,
        message: `{{${name}}} must not be written inside quotes: it is shell-quoted when rendered, and inside "…" its value would be expanded by the shell`,
      });
    }
  });
  return problems;
}

/**
 * Placeholders that sit inside '…' or "…" in the template. The rendered value
 * is already a quoted word; nested in double quotes its single quotes become
 * literal and `$(…)` in a captured value would run.
 */
function placeholdersInsideQuotes(command: string): string[] {
  const quotedAt = quoteStateByIndex(command);
  const names: string[] = [];
  for (const match of command.matchAll(placeholderPattern())) {
    if (quotedAt[match.index]) names.push(match[1]);
  }
  return names;
}

// Enough of the POSIX quoting rules to tell whether a position is quoted.
function quoteStateByIndex(command: string): boolean[] {
  const quoted: boolean[] = [];
  let state: 'none' | 'single' | 'double' = 'none';
  for (let i = 0; i < command.length; i++) {
    quoted[i] = state !== 'none';
    const c = command[i];
    if (state === 'single') {
      if (c === "'") state = 'none';
    } else if (c === '\\') {
      quoted[i + 1] = state !== 'none';
      i++;
    } else if (state === 'double') {
      if (c === '"') state = 'none';
    } else if (c === "'") {
      state = 'single';
    } else if (c === '"') {
      state = 'double';
    }
  }
  return quoted;
}
