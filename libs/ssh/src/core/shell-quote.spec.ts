// The spec proves the quoting against a real POSIX shell; the core stays pure.

import { execFileSync } from 'node:child_process';
import { quoteShellArg, UnquotableValueError } from './shell-quote';

const cases: [string, string, string][] = [
  ['a plain word', 'openssl', `'openssl'`],
  ['the empty string', '', `''`],
  ['a version with an epoch and a tilde', '1:3.0.15-1~deb12u1', `'1:3.0.15-1~deb12u1'`],
  ['a value that tries to close the quote and run a command', "1.0'; touch /tmp/pwned; echo '", `'1.0'\\''; touch /tmp/pwned; echo '\\'''`],
  ['a lone single quote', "'", `''\\'''`],
  ['command substitution', '$(id)', `'$(id)'`],
  ['backticks', '`id`', "'`id`'"],
  ['variables and globs', '$HOME *', `'$HOME *'`],
  ['a newline', 'a\nb', `'a\nb'`],
  ['double quotes and backslashes', '"\\n"', `'"\\n"'`],
  ['unicode', 'héllo ✓ 漢字', `'héllo ✓ 漢字'`],
];

describe('quoteShellArg', () => {
  it.each(cases)('quotes %s', (_name, value, expected) => {
    expect(quoteShellArg(value)).toBe(expected);
  });

  it.each(cases)('hands %s to sh -c byte for byte', (_name, value) => {
    const out = execFileSync('/bin/sh', ['-c', `printf %s ${quoteShellArg(value)}`]);
    expect(out.equals(Buffer.from(value, 'utf8'))).toBe(true);
  });

  it('keeps a quoted value as a single argument to sh -c', () => {
    const value = "a b'c d";
    const out = execFileSync('/bin/sh', ['-c', `printf '<%s>' ${quoteShellArg(value)}`]);
    expect(out.toString('utf8')).toBe(`<${value}>`);
  });

  it('refuses a NUL byte rather than let the shell truncate the value', () => {
    expect(() => quoteShellArg('a\0b')).toThrow(UnquotableValueError);
  });

  it('refuses it with a RangeError, as the command builders promise for a command holding a NUL', () => {
    expect(() => quoteShellArg('echo a\0b')).toThrow(RangeError);
  });
});
