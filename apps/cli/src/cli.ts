// `vulnzero`: finds the command, parses its flags, runs it, and turns every
// outcome into one exit code and, for errors, one clear line on stderr
// (never a stack trace, unless VULNZERO_DEBUG=1).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CliError, GatewayError, UsageError } from './cli-errors';
import { Command, CommandContext, GLOBAL_OPTIONS, renderHelp } from './command';
import { COMMANDS } from './commands';
import { ExitCode } from './exit-codes';
import { GatewayClient, normalizeBaseUrl } from './gateway-client';
import { Output, TextStream } from './output';
import { TimeoutWithTask } from './wait-for-task';

export interface CliIo {
  stdout: TextStream;
  stderr: TextStream;
  env: Record<string, string | undefined>;
  readFile?: (path: string) => string;
}

/** The version in the repository's package.json, looked up from wherever this file runs (src or dist). */
export function cliVersion(): string {
  for (let dir = __dirname, i = 0; i < 6; i += 1, dir = join(dir, '..')) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'vulnzero' && pkg.version) return pkg.version;
    } catch {
      // not here: one level up
    }
  }
  return 'unknown';
}

export function topLevelHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'vulnzero — patch deployments for CI pipelines, operators and SREs',
    '',
    'Usage: vulnzero COMMAND [flags]        (vulnzero COMMAND --help for its flags and examples)',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Configuration: VULNZERO_URL (gateway URL) and VULNZERO_TOKEN (API key or access token);',
    '--url and --token override them. --json prints one JSON document on stdout.',
    '',
    'Exit codes: 0 success, 1 failed/rolled back (or the gateway refused: 404, 409, 429, network),',
    '2 bad usage or auth error (401/403), 3 --timeout ran out (the task keeps running).',
    '',
    'The API, its statuses and these exit codes: docs/api.md in the repository, or /docs on the gateway.',
    '',
    'Examples:',
    '  vulnzero hosts import inventory.ini --credential deploy-key --trust',
    '  vulnzero patch create openssl.yaml --approve',
    '  vulnzero deploy --patch ID --labels role=web --steps 1,10%,50%,100% --wait --timeout 30m',
    '  vulnzero task wait TASK_ID',
    '  vulnzero rollback DEPLOYMENT_ID --wait',
    '',
  ].join('\n');
}

/** The command named by the leading words (`task get`), and the arguments after them. */
export function findCommand(argv: string[]): { command?: Command; rest: string[]; words: string[] } {
  const words = argv.slice(0, 2).filter((w) => !w.startsWith('-'));
  for (const count of [2, 1]) {
    const name = words.slice(0, count).join(' ');
    const command = COMMANDS.find((c) => c.name === name);
    if (command && words.length >= count) return { command, rest: argv.slice(count), words: words.slice(0, count) };
  }
  return { rest: argv, words };
}

function parseCommandArgs(command: Command, args: string[]): { values: CommandContext['values']; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as CommandContext['values'], positionals };
  } catch (error) {
    const message = (error as Error).message.split('\n')[0]?.replace(/\. To specify a positional argument.*$/, '') ?? 'bad arguments';
    throw new UsageError(`${message} (see vulnzero ${command.name} --help)`);
  }
}

function clientFrom(values: CommandContext['values'], env: CliIo['env']): GatewayClient {
  const urlFlag = typeof values.url === 'string' ? values.url : undefined;
  const rawUrl = urlFlag ?? env.VULNZERO_URL;
  if (!rawUrl) throw new UsageError('no gateway URL: set VULNZERO_URL or pass --url https://…');
  const url = normalizeBaseUrl(rawUrl, urlFlag !== undefined ? '--url' : 'VULNZERO_URL');
  const token = (typeof values.token === 'string' ? values.token : undefined) ?? env.VULNZERO_TOKEN;
  if (!token) throw new UsageError('no token: set VULNZERO_TOKEN (an API key, vz_…) or pass --token');
  if (/\s/.test(token.trim()) || token.trim() === '')
    throw new UsageError('the token must be one word (an API key vz_… or an access token)');
  return new GatewayClient(url, token.trim());
}

function reportError(error: unknown, output: Output, env: CliIo['env']): ExitCode {
  if (error instanceof CliError) {
    const requestId = error instanceof GatewayError && error.requestId ? ` [request ${error.requestId}]` : '';
    output.stderr.write(`vulnzero: ${error.message}${requestId}\n`);
    for (const detail of error.details) output.stderr.write(`  ${detail}\n`);
    if (output.json) {
      output.stdout.write(
        `${JSON.stringify(
          {
            error: {
              code: error.code,
              message: error.message,
              details: error.details,
              exitCode: error.exitCode,
              ...(error instanceof GatewayError ? { status: error.status, requestId: error.requestId } : {}),
            },
            ...(error instanceof TimeoutWithTask ? { task: error.task } : {}),
          },
          null,
          2,
        )}\n`,
      );
    }
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  output.stderr.write(`vulnzero: unexpected error: ${message}${env.VULNZERO_DEBUG ? '' : ' (set VULNZERO_DEBUG=1 for details)'}\n`);
  if (env.VULNZERO_DEBUG && error instanceof Error && error.stack) output.stderr.write(`${error.stack}\n`);
  if (output.json) output.stdout.write(`${JSON.stringify({ error: { code: 'internal', message, exitCode: ExitCode.failed } })}\n`);
  return ExitCode.failed;
}

export async function runCli(argv: string[], io: CliIo): Promise<ExitCode> {
  const wantsJson = argv.includes('--json');
  const earlyOutput = new Output(io.stdout, io.stderr, wantsJson, io.env);
  if (argv.length === 0) {
    io.stderr.write(topLevelHelp());
    return ExitCode.usage;
  }
  const [first] = argv;
  if (first === '--version' || first === '-V' || first === 'version') {
    const version = cliVersion();
    io.stdout.write(wantsJson ? `${JSON.stringify({ version })}\n` : `vulnzero ${version}\n`);
    return ExitCode.ok;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    const { command } = findCommand(argv.slice(1));
    io.stdout.write(command ? renderHelp(command) : topLevelHelp());
    return ExitCode.ok;
  }
  const { command, rest, words } = findCommand(argv);
  if (!command) {
    const group = COMMANDS.filter((c) => c.name.startsWith(`${words[0]} `));
    const hint = group.length > 0 ? `: ${words[0]} takes ${group.map((c) => c.name.split(' ')[1]).join(', ')}` : '';
    return reportError(
      new UsageError(`unknown command ${JSON.stringify(words.join(' ') || first)}${hint} (see vulnzero --help)`),
      earlyOutput,
      io.env,
    );
  }
  try {
    const { values, positionals } = parseCommandArgs(command, rest);
    const output = new Output(io.stdout, io.stderr, values.json === true, io.env);
    if (values.help === true) {
      io.stdout.write(renderHelp(command));
      return ExitCode.ok;
    }
    if (!command.positionals && positionals.length > 0) {
      throw new UsageError(
        `vulnzero ${command.name} takes no argument, got ${JSON.stringify(positionals[0])} (see vulnzero ${command.name} --help)`,
      );
    }
    let client: GatewayClient | undefined;
    const ctx: CommandContext = {
      values,
      positionals,
      output,
      env: io.env,
      client: () => (client ??= clientFrom(values, io.env)),
      readFile: io.readFile ?? ((path) => readFileSync(path, 'utf8')),
    };
    return await command.run(ctx);
  } catch (error) {
    return reportError(error, earlyOutput, io.env);
  }
}
