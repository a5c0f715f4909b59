import { generatePackageCommands } from './package-patch';
import {
  InvalidPatchDefinitionError,
  isIrreversible,
  normalizePatchDefinition,
  PatchDefinition,
  validatePatchDefinition,
} from './patch-definition';

/** the docs/api.md#patches example, verbatim. */
function specExample(): Record<string, unknown> {
  return {
    name: 'openssl 3.0.15',
    capture: { previousVersion: "dpkg-query -W -f='${Version}' openssl" },
    apply: ['apt-get install -y openssl=3.0.15-1~deb12u1'],
    rollback: ['apt-get install -y --allow-downgrades openssl={{previousVersion}}'],
    verify: "dpkg-query -W -f='${Version}' openssl | grep -qx '3.0.15-1~deb12u1'",
    healthChecks: [
      { type: 'command', command: 'systemctl is-active nginx', timeoutSeconds: 10 },
      { type: 'http', port: 8080, path: '/health', expectStatus: 200 },
      { type: 'tcp', port: 443 },
    ],
    timeoutSeconds: 300,
  };
}

function aPatch(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...specExample(), ...overrides };
}

function fieldsOf(input: unknown): string[] {
  return validatePatchDefinition(input).map((p) => p.field);
}

const openssl = { manager: 'apt', name: 'openssl', version: '3.0.15-1~deb12u1' };

describe('validatePatchDefinition accepts', () => {
  it.each<[string, Record<string, unknown>]>([
    ['the docs/api.md#patches example', specExample()],
    ['a patch with only a name, apply and rollback', { name: 'touch', apply: ['touch /etc/motd'], rollback: ['rm -f /etc/motd'] }],
    ['a package patch', { name: 'openssl', package: openssl }],
    [
      'a package patch with health checks and a timeout',
      { name: 'p', package: openssl, healthChecks: [{ type: 'tcp', port: 22 }], timeoutSeconds: 60 },
    ],
    ['a capture name no rollback command uses', aPatch({ capture: { previousVersion: 'cat /v', kernel: 'uname -r' } })],
    [
      'null for every optional field of an irreversible patch (a view sent back)',
      {
        name: 'n',
        apply: ['true'],
        capture: null,
        rollback: null,
        verify: null,
        healthChecks: null,
        timeoutSeconds: null,
        package: null,
        irreversible: true,
      },
    ],
    ['an irreversible patch with no rollback', { name: 'n', apply: ['true'], irreversible: true }],
    ['an irreversible patch with an empty rollback', { name: 'n', apply: ['true'], rollback: [], irreversible: true }],
    ['irreversible false with a rollback', aPatch({ irreversible: false })],
    [
      'a rollback template full of shell metacharacters around an unquoted placeholder',
      aPatch({ rollback: ['echo \'$(id)\' `id` ; rm -f /tmp/x && install {{previousVersion}} # "{{"'] }),
    ],
    ['a Go template in apply, which is not a placeholder', aPatch({ apply: [`docker inspect -f '{{.State.Status}}' web`] })],
    ['a command of exactly 8 KiB', aPatch({ apply: ['x'.repeat(8192)] })],
    ['50 apply and 50 rollback commands', aPatch({ apply: Array(50).fill('true'), rollback: Array(50).fill('true') })],
    [
      '20 capture names and 20 health checks',
      aPatch({
        capture: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`v${i}`, 'true'])),
        rollback: ['true'],
        healthChecks: Array(20).fill({ type: 'tcp', port: 22 }),
      }),
    ],
    [
      'the timeout bounds',
      aPatch({ timeoutSeconds: 86_400, healthChecks: [{ type: 'tcp', port: 65535, timeoutSeconds: 3600, from: 'host' }] }),
    ],
    ['a check from the host', aPatch({ healthChecks: [{ type: 'http', port: 1, path: '/a?b=c&d', from: 'host', expectStatus: 599 }] })],
  ])('%s', (_name, input) => {
    expect(validatePatchDefinition(input)).toEqual([]);
  });
});

describe('validatePatchDefinition names every bad field', () => {
  it.each<[string, unknown, string[]]>([
    ['a body that is not an object', ['apply'], ['body']],
    ['neither apply nor package', { name: 'nothing', irreversible: true }, ['apply']],
    ['a name and apply alone (no way back, and not said to be irreversible)', { name: 'touch', apply: ['touch /etc/motd'] }, ['rollback']],
    ['irreversible given with a package', { name: 'p', package: openssl, irreversible: true }, ['irreversible']],
    ['an unknown top-level field', aPatch({ applyy: ['x'] }), ['applyy']],
    ['a missing name', aPatch({ name: undefined }), ['name']],
    ['a blank name', aPatch({ name: '   ' }), ['name']],
    ['a name of 201 characters', aPatch({ name: 'n'.repeat(201) }), ['name']],
    ['a name with a newline', aPatch({ name: 'a\nb' }), ['name']],
    ['apply that is a string', aPatch({ apply: 'apt-get install -y x' }), ['apply']],
    ['an empty apply list', aPatch({ apply: [] }), ['apply']],
    ['51 apply commands', aPatch({ apply: Array(51).fill('true') }), ['apply']],
    ['an empty and a blank apply command', aPatch({ apply: ['true', '', '  \n'] }), ['apply[1]', 'apply[2]']],
    ['an apply command that is not a string', aPatch({ apply: [42] }), ['apply[0]']],
    ['an apply command over 8 KiB', aPatch({ apply: ['x'.repeat(8193)] }), ['apply[0]']],
    ['an apply command over 8 KiB in UTF-8 bytes', aPatch({ apply: ['é'.repeat(4097)] }), ['apply[0]']],
    ['an apply command with a placeholder', aPatch({ apply: ['true', 'install {{previousVersion}}'] }), ['apply[1]']],
    ['51 rollback commands', aPatch({ rollback: Array(51).fill('true') }), ['rollback']],
    ['no rollback and not irreversible', aPatch({ rollback: undefined }), ['rollback']],
    ['an empty rollback and not irreversible', aPatch({ rollback: [] }), ['rollback']],
    ['an empty rollback with irreversible false', aPatch({ rollback: [], irreversible: false }), ['rollback']],
    ['an irreversible patch that still gives rollback commands', aPatch({ irreversible: true }), ['rollback']],
    ['irreversible as a string', aPatch({ irreversible: 'yes' }), ['irreversible']],
    ['an empty rollback command', aPatch({ rollback: [''] }), ['rollback[0]']],
    ['a verify with a placeholder', aPatch({ verify: 'test {{previousVersion}}' }), ['verify']],
    ['an empty verify', aPatch({ verify: '' }), ['verify']],
    ['a verify that is not a string', aPatch({ verify: ['x'] }), ['verify']],
    ['capture as an array', aPatch({ capture: ['x'], rollback: ['true'] }), ['capture']],
    ['a capture name with a hyphen', aPatch({ capture: { 'bad-key': 'true' }, rollback: ['true'] }), ['capture.bad-key']],
    ['a capture name starting with a digit', aPatch({ capture: { '1st': 'true' }, rollback: ['true'] }), ['capture.1st']],
    [
      'a capture named __proto__',
      JSON.parse('{"name":"n","apply":["true"],"rollback":["true"],"capture":{"__proto__":"id"}}'),
      ['capture.__proto__'],
    ],
    ['an empty capture command', aPatch({ capture: { previousVersion: '' } }), ['capture.previousVersion']],
    ['a capture command with a placeholder', aPatch({ capture: { previousVersion: 'echo {{x}}' } }), ['capture.previousVersion']],
    [
      '21 capture names',
      aPatch({ capture: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`v${i}`, 'true'])), rollback: ['true'] }),
      ['capture'],
    ],
    ['a rollback placeholder with no capture', aPatch({ capture: {} }), ['rollback[0]']],
    ['a rollback placeholder with capture left out', aPatch({ capture: undefined }), ['rollback[0]']],
    ['a rollback placeholder after $ (it would run a captured value)', aPatch({ rollback: ['x=${{previousVersion}}'] }), ['rollback[0]']],
    ['a patch timeout of 0', aPatch({ timeoutSeconds: 0 }), ['timeoutSeconds']],
    ['a patch timeout over a day', aPatch({ timeoutSeconds: 86_401 }), ['timeoutSeconds']],
    ['a fractional patch timeout', aPatch({ timeoutSeconds: 1.5 }), ['timeoutSeconds']],
    ['a patch timeout as a string', aPatch({ timeoutSeconds: '300' }), ['timeoutSeconds']],
    ['21 health checks', aPatch({ healthChecks: Array(21).fill({ type: 'tcp', port: 22 }) }), ['healthChecks']],
    ['health checks as an object', aPatch({ healthChecks: { type: 'tcp', port: 22 } }), ['healthChecks']],
    ['a health check that is a string', aPatch({ healthChecks: ['tcp:22'] }), ['healthChecks[0]']],
    ['a health check of an unknown type', aPatch({ healthChecks: [{ type: 'icmp', port: 1 }] }), ['healthChecks[0].type']],
    ['a health check without a type', aPatch({ healthChecks: [{ port: 1 }] }), ['healthChecks[0].type']],
  ])('%s', (_name, input, expected) => {
    expect(fieldsOf(input)).toEqual(expected);
  });

  it('names each bad field of each bad health check', () => {
    const problems = validatePatchDefinition(
      aPatch({
        healthChecks: [
          { type: 'command', command: '', timeoutSeconds: 0 },
          { type: 'http', port: 0, path: 'health', expectStatus: 99, from: 'lb', timeoutSeconds: 3601 },
          { type: 'tcp', port: 65536, from: 'elsewhere' },
          { type: 'http', port: '80', path: '/a b' },
          { type: 'command', command: 'curl {{previousVersion}}' },
          { type: 'http', port: 80 },
        ],
      }),
    );
    expect(problems.map((p) => p.field)).toEqual([
      'healthChecks[0].command',
      'healthChecks[0].timeoutSeconds',
      'healthChecks[1].port',
      'healthChecks[1].from',
      'healthChecks[1].path',
      'healthChecks[1].expectStatus',
      'healthChecks[1].timeoutSeconds',
      'healthChecks[2].port',
      'healthChecks[2].from',
      'healthChecks[3].port',
      'healthChecks[3].path',
      'healthChecks[4].command',
      'healthChecks[5].path',
    ]);
    expect(problems.every((p) => p.message.length > 0)).toBe(true);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a command field on a tcp check', { type: 'tcp', port: 22, command: 'true' }, 'healthChecks[0].command'],
    ['a path on a tcp check', { type: 'tcp', port: 22, path: '/' }, 'healthChecks[0].path'],
    ['a port on a command check', { type: 'command', command: 'true', port: 22 }, 'healthChecks[0].port'],
    ['from on a command check (it always runs on the host)', { type: 'command', command: 'true', from: 'host' }, 'healthChecks[0].from'],
    ['a misspelt field on an http check', { type: 'http', port: 80, path: '/', expectedStatus: 200 }, 'healthChecks[0].expectedStatus'],
  ])('rejects %s as an unknown field inside the check', (_name, check, field) => {
    expect(validatePatchDefinition(aPatch({ healthChecks: [check] }))).toEqual([
      { field, message: expect.stringContaining('is not a field of a') },
    ]);
  });

  it('says why a placeholder in apply is refused', () => {
    expect(validatePatchDefinition(aPatch({ apply: ['apt-get install -y openssl={{previousVersion}}'] }))).toEqual([
      { field: 'apply[0]', message: expect.stringContaining('only in rollback') },
    ]);
  });

  it('names the rollback command and the placeholder when the capture key is missing', () => {
    expect(validatePatchDefinition(aPatch({ capture: { version: 'cat /v' } }))).toEqual([
      { field: 'rollback[0]', message: expect.stringContaining('{{previousVersion}}') },
    ]);
  });

  it('reports every problem of one input at once', () => {
    expect(
      fieldsOf({ name: '', apply: [''], rollback: ['x {{missing}}'], healthChecks: [{ type: 'tcp' }], timeoutSeconds: -1, extra: 1 }),
    ).toEqual(['extra', 'name', 'apply[0]', 'rollback[0]', 'healthChecks[0].port', 'timeoutSeconds']);
  });
});

describe('package shorthand', () => {
  it.each(['capture', 'apply', 'rollback', 'verify'])('refuses %s given with package, naming it', (field) => {
    const given = { capture: { v: 'true' }, apply: ['true'], rollback: ['true'], verify: 'true' }[field];
    expect(validatePatchDefinition({ name: 'p', package: openssl, [field]: given })).toEqual([
      { field, message: expect.stringContaining('package') },
    ]);
  });

  it('names every bad field of the package', () => {
    expect(fieldsOf({ name: 'p', package: { manager: 'yum', name: 'Open SSL', version: '1; id', arch: 'amd64' } })).toEqual([
      'package.arch',
      'package.manager',
      'package.name',
      'package.version',
    ]);
  });

  it('refuses a package that is not an object', () => {
    expect(fieldsOf({ name: 'p', package: 'openssl=3.0.15' })).toEqual(['package']);
  });

  it('generates the four command sets and keeps the package on the definition', () => {
    const definition = normalizePatchDefinition({ name: 'openssl', package: openssl });
    const generated = generatePackageCommands(
      { manager: 'apt', name: 'openssl', version: '3.0.15-1~deb12u1' },
      { timeoutSeconds: 300, artifactDays: 30 },
    );
    expect(definition).toEqual<PatchDefinition>({
      name: 'openssl',
      capture: generated.capture,
      apply: generated.apply,
      rollback: generated.rollback,
      verify: generated.verify,
      report: generated.report,
      healthChecks: [],
      timeoutSeconds: 300,
      package: { manager: 'apt', name: 'openssl', version: '3.0.15-1~deb12u1' },
      irreversible: false,
    });
    // The generated rollback passes the same placeholder rules as a hand-written one.
    expect(validatePatchDefinition({ ...definition, package: null, report: null })).toEqual([]);
  });
});

describe('normalizePatchDefinition', () => {
  it('fills every default of the SPEC example and keeps the commands verbatim', () => {
    expect(normalizePatchDefinition(specExample())).toEqual<PatchDefinition>({
      name: 'openssl 3.0.15',
      capture: { previousVersion: "dpkg-query -W -f='${Version}' openssl" },
      apply: ['apt-get install -y openssl=3.0.15-1~deb12u1'],
      rollback: ['apt-get install -y --allow-downgrades openssl={{previousVersion}}'],
      verify: "dpkg-query -W -f='${Version}' openssl | grep -qx '3.0.15-1~deb12u1'",
      healthChecks: [
        { type: 'command', command: 'systemctl is-active nginx', timeoutSeconds: 10 },
        { type: 'http', port: 8080, path: '/health', expectStatus: 200, from: 'worker', timeoutSeconds: 30 },
        { type: 'tcp', port: 443, from: 'worker', timeoutSeconds: 30 },
      ],
      timeoutSeconds: 300,
      package: null,
      report: null,
      irreversible: false,
    });
  });

  it('marks an irreversible patch as such', () => {
    const definition = normalizePatchDefinition({ name: 'm', apply: ['true'], irreversible: true });
    expect(definition).toMatchObject({ rollback: [], irreversible: true });
    expect(isIrreversible(definition)).toBe(true);
  });

  it('counts a stored patch with no rollback commands as irreversible, whatever its flag says', () => {
    expect(isIrreversible({ rollback: [] })).toBe(true);
    expect(isIrreversible({ rollback: [], irreversible: false })).toBe(true);
    expect(isIrreversible({ rollback: ['true'], irreversible: false })).toBe(false);
  });

  it('fills the defaults of a minimal patch', () => {
    expect(
      normalizePatchDefinition({ name: 'm', apply: ['true'], rollback: ['false'], healthChecks: [{ type: 'http', port: 80, path: '/' }] }),
    ).toEqual<PatchDefinition>({
      name: 'm',
      capture: {},
      apply: ['true'],
      rollback: ['false'],
      verify: null,
      healthChecks: [{ type: 'http', port: 80, path: '/', expectStatus: 200, from: 'worker', timeoutSeconds: 30 }],
      timeoutSeconds: 300,
      package: null,
      report: null,
      irreversible: false,
    });
  });

  it('keeps given values over defaults', () => {
    const definition = normalizePatchDefinition(
      aPatch({
        timeoutSeconds: 42,
        healthChecks: [{ type: 'http', port: 80, path: '/', expectStatus: 204, from: 'host', timeoutSeconds: 5 }],
      }),
    );
    expect(definition.timeoutSeconds).toBe(42);
    expect(definition.healthChecks).toEqual([{ type: 'http', port: 80, path: '/', expectStatus: 204, from: 'host', timeoutSeconds: 5 }]);
  });

  it('copies the input, so later changes to it do not reach the definition', () => {
    const input = aPatch();
    const definition = normalizePatchDefinition(input);
    (input.apply as string[]).push('rm -rf /');
    (input.capture as Record<string, string>).extra = 'id';
    expect(definition.apply).toHaveLength(1);
    expect(definition.capture).not.toHaveProperty('extra');
  });

  it('throws InvalidPatchDefinitionError listing every problem', () => {
    const normalize = () => normalizePatchDefinition({ name: '', apply: [], rollback: ['true'] });
    expect(normalize).toThrow(InvalidPatchDefinitionError);
    try {
      normalize();
    } catch (error) {
      expect((error as InvalidPatchDefinitionError).problems.map((p) => p.field)).toEqual(['name', 'apply']);
    }
  });
});
