import { isUtf8Text } from './captured-value';
import type { FieldProblem } from './field-problem';
import { placeholderPattern, scanTemplate, type PlaceholderRefusal } from './placeholder-context';
import { quoteShellArg } from '../../../ssh/src/core/shell-quote';

const NAME = '[A-Za-z_][A-Za-z0-9_]*';
const VALID_NAME = new RegExp(`^${NAME}$`);

/** Captured values live in shell variables named this plus the capture name: never PATH, IFS or any name with a meaning. */
export const CAPTURE_VARIABLE_PREFIX = 'vz_cap_';

/**
 * The longest rendered command a host can be given: the remote shell gets it as
 * one argument (`sh -c <command>`), and Linux refuses an argument over
 * MAX_ARG_STRLEN (128 KiB with its NUL) with E2BIG, so a longer rollback could
 * be stored but never run.
 */
export const RENDERED_COMMAND_MAX_BYTES = 128 * 1024 - 1;

/** Raised when a rollback command needs a value that capture did not produce. */
export class MissingCaptureError extends Error {
  constructor(readonly placeholder: string) {
    super(`no captured value for placeholder {{${placeholder}}}`);
    this.name = new.target.name;
  }
}

/** Raised when a template has a placeholder where a value could run as code or would not arrive as it is. */
export class UnsafePlaceholderError extends Error {
  constructor(readonly refusal: PlaceholderRefusal) {
    super(describeRefusal(refusal));
    this.name = new.target.name;
  }
}

/** Raised when the captured values make a rendered command too long for a host to run. */
export class RenderedCommandTooLongError extends Error {
  constructor(readonly bytes: number) {
    super(
      `the rendered command is ${bytes} bytes, over the ${RENDERED_COMMAND_MAX_BYTES} a host accepts as one command (the captured values are too long)`,
    );
    this.name = new.target.name;
  }
}

/** The distinct `{{name}}` placeholders of a command, in order of first use. */
export function findPlaceholders(command: string): string[] {
  const names = new Set<string>();
  for (const match of command.matchAll(placeholderPattern())) names.add(match[1] as string);
  return [...names];
}

function describeRefusal(refusal: PlaceholderRefusal): string {
  return `placeholder {{${refusal.name}}} at offset ${refusal.offset} is refused: it sits ${refusal.reason}`;
}

/**
 * `name=value` as shell text that sets exactly `value`'s bytes. UTF-8 text is
 * one single-quoted word (nothing expands in '…'; `'` is written `'\''`).
 * Other bytes cannot be stored as text: they are written as printf octal
 * escapes (`\303`), and the `.` printed after them keeps trailing newlines,
 * which `$(…)` would strip, before it is removed again.
 */
export function shellAssignment(variable: string, value: string | Uint8Array): string {
  if (typeof value === 'string') return `${variable}=${quoteShellArg(value)}`;
  if (isUtf8Text(value)) return `${variable}=${quoteShellArg(Buffer.from(value).toString('utf8'))}`;
  let format = '';
  for (const byte of value) {
    if (byte === 0) throw new RangeError('a shell variable cannot hold a NUL byte');
    const c = String.fromCharCode(byte);
    format += /[A-Za-z0-9 ,.:/=@_+-]/.test(c) ? c : `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return `${variable}=$(printf '${format}'; printf .); ${variable}=\${${variable}%.}`;
}

/**
 * Renders a rollback template for one host. The captured values are never
 * written into the template: each `{{name}}` becomes `"${vz_cap_name?}"` (or
 * `${vz_cap_name?}` inside "…"), a reference the shell expands as data, and
 * the command begins with the assignments of the values it uses, so it is
 * self-contained: the same text works run by the sequence script, `sh -c` or
 * `sudo sh -c '…'` (unexported variables set outside would not survive those).
 * The variables are not exported; `?` aborts the command should one be unset.
 *
 * Throws `UnsafePlaceholderError` for a placeholder in a position
 * `validatePatchPlaceholders` refuses (so a patch stored before that check
 * cannot render either), `MissingCaptureError` for a value that was not
 * captured, `RenderedCommandTooLongError` when the result could not be run.
 */
export function renderCommand(template: string, values: Record<string, string | Uint8Array>): string {
  const { uses, refusals } = scanTemplate(template);
  if (refusals.length > 0) throw new UnsafePlaceholderError(refusals[0] as PlaceholderRefusal);
  if (uses.length === 0) return template;
  const names: string[] = [];
  for (const { name } of uses) {
    // Own keys only: `{{constructor}}` must not resolve to Object.prototype.
    if (!Object.hasOwn(values, name)) throw new MissingCaptureError(name);
    if (!names.includes(name)) names.push(name);
  }
  let body = template;
  for (const use of [...uses].sort((a, b) => b.offset - a.offset)) {
    const reference = `\${${CAPTURE_VARIABLE_PREFIX}${use.name}?}`;
    body = body.slice(0, use.offset) + (use.inDoubleQuotes ? reference : `"${reference}"`) + body.slice(use.offset + use.length);
  }
  const assignments = names.map((name) => shellAssignment(`${CAPTURE_VARIABLE_PREFIX}${name}`, values[name] as string | Uint8Array));
  const rendered = `${assignments.join('; ')}; ${body}`;
  const bytes = Buffer.byteLength(rendered, 'utf8');
  if (bytes > RENDERED_COMMAND_MAX_BYTES) throw new RenderedCommandTooLongError(bytes);
  return rendered;
}

/**
 * Problems a patch's capture/rollback pair would only reveal on a host, where a
 * missing value would leave a change that cannot be undone, or where a
 * captured value could run as code (see placeholder-context.ts).
 */
export function validatePatchPlaceholders(capture: Record<string, string>, rollback: string[]): FieldProblem[] {
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
    for (const refusal of scanTemplate(command).refusals) problems.push({ field, message: describeRefusal(refusal) });
  });
  return problems;
}
