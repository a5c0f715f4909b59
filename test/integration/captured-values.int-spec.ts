// Captured values never become code (docs/api.md#patches): hostile values, rendered into
// every placeholder context the validator allows, run on a real sshd host
// under bash (the login shell), dash and `sudo sh -c` (as a `become` would
// wrap the command): no canary file is ever created, and each value arrives
// byte for byte where the template puts it. Subnet 127.80 belongs to this file.
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { capturedValue, renderCommand, validatePatchPlaceholders } from '@vulnzero/patches';
import { quoteShellArg, SshConnector, SshModule, SshSession } from '@vulnzero/ssh';
import { FleetHost, SshFleet } from '../fleet/fleet';

jest.setTimeout(300_000);

const fleet = new SshFleet({ subnet: '127.80' });
const SUDOERS = '/etc/sudoers.d/vulnzero-test-captured-values';
const TMP_CANARY = '/tmp/vz-captured-values-canary';
let host: FleetHost;
let session: SshSession;

/** Every hostile value, named; `C` in a value is replaced by the host's canary path. */
function hostileValues(canary: string): [string, Buffer][] {
  const text = (name: string, value: string): [string, Buffer] => [name, Buffer.from(value.replaceAll('C', canary), 'utf8')];
  const raw = (name: string, value: Buffer): [string, Buffer] => [name, value];
  return [
    text('a command substitution', '$(touch C)'),
    text('a command substitution writing to /tmp', `$(touch ${TMP_CANARY})`),
    text('backticks', '`touch C`'),
    text('a single quote breaking out', "'; touch C; '"),
    text('a double quote breaking out', '"; touch C; "'),
    text('an escaped single quote', "\\'; touch C #"),
    text('backslashes', 'a\\b\\\\c\\'),
    text('a newline and a command', 'x\n$(touch C)\ntouch C'),
    text('an arithmetic subscript', 'a[$(touch C)]'),
    text('IFS word splitting', '${IFS}touch${IFS}C'),
    text('glob characters', '*'),
    text('a glob path', '/*'),
    text('bracket and question globs', '[a-z]*?'),
    text('a leading dash', '-n'),
    text('an option with an escape', '-e \\x41'),
    text('a double dash', '--'),
    text('a tilde', '~root'),
    text('brace expansion', '{a,b}'),
    text('parameter references', '$HOME ${PATH} $0 $@ $1'),
    text('arithmetic expansion', '$((1+1))'),
    text('a lone single quote', "'"),
    text('a lone double quote', '"'),
    text('mixed quotes', `'"'"'`),
    text('printf format characters', '%s%n%d%%\\n'),
    text('tab and carriage return', 'a\tb\rc'),
    text('the empty value', ''),
    text('a placeholder', '{{v}}'),
    text('the value variable itself', '${vz_cap_v?} $vz_cap_v'),
    text('shell operators', ';|&<>()!!'),
    text('ANSI-C quotes', "$'\\x41'"),
    text('runs of spaces', 'a b  c   '),
    text('newlines only', '\n\n'),
    text('multibyte UTF-8', 'é€😀'),
    raw('invalid UTF-8 bytes', Buffer.from([0xff, 0xfe, 0x80, 0xc3])),
    raw('an overlong encoding', Buffer.from([0xc0, 0xaf])),
    raw('invalid UTF-8 around a command', Buffer.concat([Buffer.from([0xff]), Buffer.from(`'$(touch ${canary})'`), Buffer.from([0xfe])])),
    raw('invalid UTF-8 ending in newlines', Buffer.from([0x61, 0xff, 0x0a, 0x0a])),
    text('a value at the capture limit', 'a'.repeat(64 * 1024)),
    raw('invalid UTF-8 near the limit a command can carry', Buffer.alloc(30_000, 0xff)),
    text('many single quotes', "'".repeat(1_000)),
  ];
}

interface Context {
  name: string;
  /** The template, writing into `out`. */
  template: (out: string) => string;
  /** What the context leaves in out/<name> for `value`. */
  expected: (value: Buffer) => Buffer;
}

const CONTEXTS: Context[] = [
  { name: 'bare', template: (out) => `printf %s {{v}} > ${quoteShellArg(`${out}/bare`)}`, expected: (v) => v },
  {
    name: 'double-quoted',
    template: (out) => `printf %s "<{{v}}>" > ${quoteShellArg(`${out}/double-quoted`)}`,
    expected: (v) => Buffer.concat([Buffer.from('<'), v, Buffer.from('>')]),
  },
  {
    name: 'in-a-word',
    template: (out) => `printf %s pkg={{v}} > ${quoteShellArg(`${out}/in-a-word`)}`,
    expected: (v) => Buffer.concat([Buffer.from('pkg='), v]),
  },
  {
    name: 'for-word',
    template: (out) => `for p in {{v}}; do printf %s "$p"; done > ${quoteShellArg(`${out}/for-word`)}`,
    expected: (v) => v,
  },
];

// The redirection target context: the value names the file.
const redirectTemplate = (out: string) => `printf %s x > ${quoteShellArg(`${out}/r_`)}{{v}}`;

interface Shell {
  name: string;
  wrap: (command: string) => string;
}

const SHELLS: Shell[] = [
  { name: 'bash (the login shell)', wrap: (command) => command },
  { name: 'dash', wrap: (command) => `dash -c ${quoteShellArg(command)}` },
  { name: 'sudo sh -c', wrap: (command) => `sudo -n -u ${fleet.username} sh -c ${quoteShellArg(command)}` },
];

const run = async (command: string) => session.exec(command, { timeoutMs: 20_000 });

beforeAll(async () => {
  const moduleRef = await Test.createTestingModule({ imports: [SshModule] }).compile();
  const connector = moduleRef.get(SshConnector);
  await fleet.start(1);
  host = fleet.hosts[0] as FleetHost;
  // `become` runs the command through sudo; the fleet user may run commands as itself only.
  await fs.writeFile(SUDOERS, `${fleet.username} ALL=(${fleet.username}) NOPASSWD: ALL\n`, { mode: 0o440 });
  session = await connector.connect({
    address: host.address,
    port: host.port,
    username: fleet.username,
    privateKey: fleet.privateKey,
    hostKey: host.hostKey,
    connectTimeoutMs: 10_000,
  });
});

afterAll(async () => {
  await session?.close();
  await fs.rm(SUDOERS, { force: true });
  await fleet.stop();
});

it('has bash, dash and a working sudo on the host (the shells this suite runs under)', async () => {
  const result = await run(`echo "$BASH_VERSION"; dash -c 'echo dash'; sudo -n -u ${fleet.username} sh -c 'echo sudo'`);
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toMatch(/^\d+\.\d+.*\ndash\nsudo\n$/);
});

it('validates every template this suite renders', () => {
  const templates = [...CONTEXTS.map((c) => c.template('/out')), redirectTemplate('/out')];
  expect(validatePatchPlaceholders({ v: 'true' }, templates)).toEqual([]);
});

describe.each(SHELLS)('under $name', (shell) => {
  it.each(hostileValues('CANARY'))('%s arrives byte-exact in every allowed context and runs nothing', async (_label, template) => {
    const canary = join(host.stateDir, 'canary');
    const value = Buffer.from(template.toString('latin1').replaceAll('CANARY', canary), 'latin1');
    const out = join(host.stateDir, 'out');
    const prepared = await run(`rm -rf ${quoteShellArg(out)} && mkdir ${quoteShellArg(out)}`);
    expect(prepared.exitCode).toBe(0);

    const mismatches: string[] = [];
    for (const context of CONTEXTS) {
      const result = await run(shell.wrap(renderCommand(context.template(out), { v: value })));
      const written = await fs.readFile(join(out, context.name)).catch(() => undefined);
      const expected = context.expected(value);
      if (result.exitCode !== 0 || !written?.equals(expected)) {
        mismatches.push(
          `${context.name}: exit ${result.exitCode} ${result.stderr.slice(0, 200)} wrote ${written?.subarray(0, 60).toString('hex') ?? 'nothing'}`,
        );
      }
    }

    // The redirection target: the value names one file, or (with a `/`, or too
    // long for a name) the write fails; nothing else is created either way.
    const result = await run(shell.wrap(renderCommand(redirectTemplate(out), { v: value })));
    const names = (await fs.readdir(out, { encoding: 'buffer' })).filter((n) => n.subarray(0, 2).equals(Buffer.from('r_')));
    const fileName = Buffer.concat([Buffer.from('r_'), value]);
    const canName = !value.includes(0x2f) && fileName.length <= 255;
    if (canName) {
      if (result.exitCode !== 0 || names.length !== 1 || !names[0]?.equals(fileName))
        mismatches.push(`redirect: exit ${result.exitCode} ${result.stderr.slice(0, 200)}`);
    } else if (result.exitCode === 0 || names.length !== 0) {
      mismatches.push(`redirect: wrote ${names.map((n) => n.toString('hex')).join(',')} for a value that names no file in the directory`);
    }

    expect(mismatches).toEqual([]);
    expect(existsSync(canary)).toBe(false);
    expect(existsSync(TMP_CANARY)).toBe(false);
  });
});

describe('a capture over SSH', () => {
  it.each(hostileValues('CANARY').filter(([, v]) => v.length < 16_000))(
    'keeps %s byte for byte, surrounding whitespace trimmed',
    async (_label, value) => {
      let format = '';
      for (const byte of value) format += `\\${byte.toString(8).padStart(3, '0')}`;
      const result = await run(`printf '${format}\\n'`);
      expect(result.exitCode).toBe(0);
      const trimmed = Buffer.from(value.toString('latin1').replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, ''), 'latin1');
      expect(capturedValue('v', result.stdoutBytes, result.stdoutTotalBytes).equals(trimmed)).toBe(true);
    },
  );

  it('fails a capture that printed more than the limit, and one that printed a NUL byte', async () => {
    const over = await run('head -c 65537 /dev/zero | tr "\\0" a');
    expect(over.stdoutTotalBytes).toBe(65_537);
    expect(() => capturedValue('previousVersion', over.stdoutBytes, over.stdoutTotalBytes)).toThrow(
      'capture previousVersion: output over 65536 bytes',
    );
    const nul = await run("printf 'a\\000b'");
    expect(() => capturedValue('v', nul.stdoutBytes, nul.stdoutTotalBytes)).toThrow('capture v: output holds a NUL byte');
  });
});
