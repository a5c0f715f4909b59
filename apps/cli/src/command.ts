// What a `vulnzero` command is: its words, flags (node:util parseArgs), help,
// and the function that runs it with a context holding the gateway client
// and the output.
import type { ParseArgsConfig } from 'node:util';
import { UsageError } from './cli-errors';
import type { ExitCode } from './exit-codes';
import type { GatewayClient } from './gateway-client';
import type { Output } from './output';

export type FlagValues = Record<string, string | boolean | string[] | undefined>;
export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface CommandContext {
  values: FlagValues;
  positionals: string[];
  output: Output;
  /** Built on first use, so that `--help` and local usage errors need no URL or token. */
  client(): GatewayClient;
  readFile(path: string): string;
  env: Record<string, string | undefined>;
}

export interface Command {
  /** `deploy`, `task get`, `hosts import`. */
  name: string;
  summary: string;
  /** The synopsis after `vulnzero `. */
  usage: string;
  /** `--flag description` lines of help (global flags are added). */
  flagHelp: [string, string][];
  examples: string[];
  /** More words for the help's end: behaviour, exit codes. */
  notes?: string[];
  options: OptionSpec;
  /** How many positional arguments, named for the usage error. */
  positionals?: string[];
  run(ctx: CommandContext): Promise<ExitCode>;
}

export const GLOBAL_OPTIONS: OptionSpec = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export const GLOBAL_FLAG_HELP: [string, string][] = [
  ['--url URL', 'gateway URL (default: $VULNZERO_URL)'],
  ['--token TOKEN', 'API key (vz_…) or access token (default: $VULNZERO_TOKEN)'],
  ['--json', 'print one JSON document on stdout (progress and warnings go to stderr)'],
  ['-h, --help', 'this help'],
];

export function stringFlag(ctx: CommandContext, name: string): string | undefined {
  const value = ctx.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function requiredFlag(ctx: CommandContext, name: string, hint: string): string {
  const value = stringFlag(ctx, name);
  if (value === undefined || value.trim() === '') throw new UsageError(`--${name} is required: ${hint}`);
  return value;
}

export function booleanFlag(ctx: CommandContext, name: string): boolean {
  return ctx.values[name] === true;
}

export function renderHelp(command: Command): string {
  const width = Math.max(...[...command.flagHelp, ...GLOBAL_FLAG_HELP].map(([flag]) => flag.length));
  const flags = (rows: [string, string][]) => rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`);
  return [
    `vulnzero ${command.name} — ${command.summary}`,
    '',
    'Usage:',
    `  vulnzero ${command.usage}`,
    '',
    ...(command.flagHelp.length > 0 ? ['Flags:', ...flags(command.flagHelp), ''] : []),
    'Global flags:',
    ...flags(GLOBAL_FLAG_HELP),
    '',
    ...(command.notes && command.notes.length > 0 ? [...command.notes, ''] : []),
    'Examples:',
    ...command.examples.map((e) => `  ${e}`),
    '',
  ].join('\n');
}
