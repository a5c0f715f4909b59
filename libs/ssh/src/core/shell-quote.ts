/**
 * Raised for a value no shell word can carry: POSIX argv strings end at NUL, so
 * quoting it would silently truncate the value instead of failing. A
 * RangeError, as the command builders document for a command holding a NUL.
 */
export class UnquotableValueError extends RangeError {
  constructor() {
    super('a shell argument cannot contain a NUL byte');
    this.name = new.target.name;
  }
}

/**
 * Quotes a value as one POSIX shell word, safe for `sh -c`.
 *
 * Single quotes are the only quoting in which the shell expands nothing ($, `,
 * \, newlines are all literal), so the value is wrapped in them and each
 * embedded `'` is written as `'\''` (close, escaped quote, reopen).
 */
export function quoteShellArg(value: string): string {
  if (value.includes('\0')) throw new UnquotableValueError();
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
