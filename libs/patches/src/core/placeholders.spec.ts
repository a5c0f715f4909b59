import { generatePackageCommands } from './package-patch';
import {
  findPlaceholders,
  MissingCaptureError,
  RenderedCommandTooLongError,
  renderCommand,
  shellAssignment,
  UnsafePlaceholderError,
  validatePatchPlaceholders,
} from './placeholders';

describe('findPlaceholders', () => {
  it.each<[string, string, string[]]>([
    ['finds one placeholder', 'apt-get install -y openssl={{previousVersion}}', ['previousVersion']],
    ['allows whitespace inside the braces', 'echo {{ previousVersion }}', ['previousVersion']],
    ['lists each name once, in order of first use', 'x {{b}} {{a}} {{b}}', ['b', 'a']],
    ['accepts underscores and digits after the first character', '{{_v2}}', ['_v2']],
    ['ignores names starting with a digit', '{{2x}}', []],
    ['ignores Go templates, which are not names', `docker inspect -f '{{.State}}'`, []],
    ['ignores single braces', 'awk {print}', []],
    ['finds nothing in a command without placeholders', 'true', []],
  ])('%s', (_name, command, expected) => {
    expect(findPlaceholders(command)).toEqual(expected);
  });
});

describe('renderCommand', () => {
  it.each<{ name: string; template: string; values: Record<string, string | Buffer>; expected: string }>([
    {
      name: 'sets the value in a prefixed variable and references it quoted',
      template: 'apt-get install -y openssl={{previousVersion}}',
      values: { previousVersion: '3.0.11-1~deb12u2' },
      expected: `vz_cap_previousVersion='3.0.11-1~deb12u2'; apt-get install -y openssl="\${vz_cap_previousVersion?}"`,
    },
    {
      name: 'references without extra quotes inside double quotes',
      template: 'echo "v={{v}}!"',
      values: { v: 'x' },
      expected: `vz_cap_v='x'; echo "v=\${vz_cap_v?}!"`,
    },
    {
      name: 'writes a single quote of the value as close, escaped quote, reopen',
      template: 'echo {{v}}',
      values: { v: "x'; rm -rf / #" },
      expected: `vz_cap_v='x'\\''; rm -rf / #'; echo "\${vz_cap_v?}"`,
    },
    {
      name: 'assigns each used value once, in order of first use',
      template: 'echo {{b}} {{a}} {{b}}',
      values: { a: 'A', b: 'B', unused: 'U' },
      expected: `vz_cap_b='B'; vz_cap_a='A'; echo "\${vz_cap_b?}" "\${vz_cap_a?}" "\${vz_cap_b?}"`,
    },
    {
      name: 'does not expand a placeholder found inside a captured value',
      template: 'echo {{a}} {{b}}',
      values: { a: '{{b}}', b: 'B' },
      expected: `vz_cap_a='{{b}}'; vz_cap_b='B'; echo "\${vz_cap_a?}" "\${vz_cap_b?}"`,
    },
    {
      name: 'renders whitespace-padded placeholders',
      template: 'echo {{ v }}',
      values: { v: '1' },
      expected: `vz_cap_v='1'; echo "\${vz_cap_v?}"`,
    },
    {
      name: 'writes bytes that are not UTF-8 as printf octal escapes, keeping trailing newlines',
      template: 'printf %s {{v}}',
      values: { v: Buffer.from([0x61, 0xff, 0x27, 0x25, 0x5c, 0x0a]) },
      expected: `vz_cap_v=$(printf 'a\\377\\047\\045\\134\\012'; printf .); vz_cap_v=\${vz_cap_v%.}; printf %s "\${vz_cap_v?}"`,
    },
    {
      name: 'writes UTF-8 bytes as a quoted word',
      template: 'echo {{v}}',
      values: { v: Buffer.from('é', 'utf8') },
      expected: `vz_cap_v='é'; echo "\${vz_cap_v?}"`,
    },
    {
      name: 'leaves a command without placeholders as it is',
      template: 'systemctl restart nginx',
      values: {},
      expected: 'systemctl restart nginx',
    },
  ])('$name', ({ template, values, expected }) => {
    expect(renderCommand(template, values)).toBe(expected);
  });

  it('throws a MissingCaptureError naming the placeholder that has no value', () => {
    const render = () => renderCommand('echo {{a}} {{missing}}', { a: '1' });
    expect(render).toThrow(MissingCaptureError);
    expect(render).toThrow('{{missing}}');
  });

  it('does not resolve a placeholder from Object.prototype', () => {
    expect(() => renderCommand('echo {{constructor}}', {})).toThrow(MissingCaptureError);
  });

  it.each([
    ['after $ (a stored patch from before the check)', 'x=${{v}}'],
    ['after a backslash', 'echo \\{{v}}'],
    ['in a here-document body', 'cat <<EOF\n{{v}}\nEOF'],
  ])('refuses to render a placeholder %s', (_name, template) => {
    expect(() => renderCommand(template, { v: '$(touch /tmp/p)' })).toThrow(UnsafePlaceholderError);
  });

  it('refuses a rendering a host could not run as one command', () => {
    expect(() => renderCommand('echo {{v}}', { v: "'".repeat(40_000) })).toThrow(RenderedCommandTooLongError);
    expect(renderCommand('echo {{v}}', { v: 'a'.repeat(64 * 1024) })).toHaveLength(64 * 1024 + 'vz_cap_v=\'\'; echo "${vz_cap_v?}"'.length);
  });
});

describe('shellAssignment', () => {
  it('refuses a NUL byte, which no shell variable can hold', () => {
    expect(() => shellAssignment('vz_cap_v', Buffer.from([0x61, 0x00, 0xff]))).toThrow(RangeError);
  });
});

describe('validatePatchPlaceholders', () => {
  it('accepts rollback commands that use only captured names', () => {
    expect(
      validatePatchPlaceholders({ previousVersion: 'dpkg-query …', unit: 'cat /x' }, [
        'apt-get install -y openssl={{previousVersion}}',
        'systemctl restart {{ unit }}',
      ]),
    ).toEqual([]);
  });

  it('names every rollback command that uses an uncaptured placeholder', () => {
    expect(validatePatchPlaceholders({ a: 'x' }, ['echo {{a}}', 'echo {{b}}', 'echo {{c}} {{a}} {{d}}'])).toEqual([
      { field: 'rollback[1]', message: expect.stringContaining('{{b}}') },
      { field: 'rollback[2]', message: expect.stringContaining('{{c}}') },
      { field: 'rollback[2]', message: expect.stringContaining('{{d}}') },
    ]);
  });

  it('rejects capture names that no placeholder could reference', () => {
    expect(validatePatchPlaceholders({ 'previous-version': 'x' }, [])).toEqual([
      { field: 'capture.previous-version', message: expect.any(String) },
    ]);
  });

  it('accepts the rollback the package shorthand generates', () => {
    const commands = generatePackageCommands(
      { manager: 'apt', name: 'openssl', version: '3.0.15-1~deb12u1' },
      { timeoutSeconds: 300, artifactDays: 30 },
    );
    expect(validatePatchPlaceholders(commands.capture, commands.rollback)).toEqual([]);
    expect(renderCommand(commands.rollback[0] as string, { plan: '' })).toContain(`printf '%s\\n' "\${vz_cap_plan?}" >`);
  });

  it.each<{ name: string; template: string }>([
    { name: 'a bare argument', template: 'apt-get install -y {{v}}' },
    { name: 'part of an argument word', template: 'apt-get install -y openssl={{v}}' },
    { name: 'inside double quotes', template: 'echo "version {{v}} restored"' },
    { name: 'after a closed quoted string and an escaped quote', template: `echo "q" \\" '\\' {{v}}` },
    { name: 'a redirection target', template: 'printf %s x > /var/tmp/{{v}}' },
    { name: 'an argument after an assignment prefix and a redirection', template: 'LC_ALL=C 2>/dev/null dpkg -s {{v}}' },
    { name: 'an argument of a later command in a list', template: 'cd / && rm -f -- {{v}}; echo done' },
    { name: 'an argument inside if/then/else', template: 'if [ -z {{v}} ]; then true; else apt-get install {{v}}; fi' },
    { name: 'an argument inside a subshell and a brace group', template: '( echo {{v}} ) && { echo {{v}}; }' },
    { name: 'a for-loop word', template: 'for p in {{v}} b; do echo "$p"; done' },
    { name: 'a case subject and pattern', template: 'case {{v}} in {{v}}) echo same ;; *) echo other ;; esac' },
    { name: 'a string test in [[ ]]', template: '[[ {{v}} == 1.* ]] && echo one' },
    { name: 'an argument of printf other than its variable name', template: 'printf %s {{v}} > /tmp/out' },
    { name: 'an argument next to a command substitution without one', template: 'echo "$(date)" {{v}}' },
    { name: 'an argument after a comment line', template: '# restore\necho {{v}}' },
    { name: 'an argument after a here-document', template: 'cat <<EOF\nplain\nEOF\necho {{v}}' },
    {
      name: 'an argument in a line with quotes, substitutions and a comment after it',
      template: `printf '%s\\n' {{v}} > /etc/app/version; echo "1.0'; touch /tmp/pwned; echo '" $(id) \`uname\` # {{ not a placeholder`,
    },
    { name: 'an operand of a string test', template: 'test -n {{ v }} && systemctl restart app' },
    { name: 'an argument piped into a program that reads data', template: 'printf %s {{v}} | tr a b > /tmp/out' },
    { name: 'a here-string into a program that reads data', template: 'cat <<< {{v}}' },
    { name: 'one expanded operand of [ beside quoted literals', template: '[ "x" = {{v}} ] || echo differs' },
  ])('accepts a placeholder as $name', ({ template }) => {
    expect(validatePatchPlaceholders({ v: 'x' }, [template])).toEqual([]);
  });

  it.each<{ name: string; template: string; offset: number; reason: string }>([
    { name: "after $ (the $'…' exploit of the old renderer)", template: 'x=${{v}}', offset: 3, reason: 'after `$`' },
    { name: 'after $ inside double quotes', template: 'echo "${{v}}"', offset: 7, reason: 'after `$`' },
    { name: 'after a backslash', template: 'echo \\{{v}}', offset: 6, reason: 'after `\\`' },
    { name: 'after a backslash inside double quotes', template: 'echo "\\{{v}}"', offset: 7, reason: 'after `\\`' },
    { name: 'in an unquoted here-document body', template: 'cat <<EOF\n{{v}}\nEOF', offset: 10, reason: 'here-document' },
    { name: 'in a quoted here-document body', template: "cat <<'EOF' > /tmp/x\na {{v}}\nEOF", offset: 23, reason: 'here-document' },
    { name: 'as a here-document delimiter', template: 'cat <<{{v}}', offset: 6, reason: 'here-document delimiter' },
    { name: 'inside backticks', template: 'echo `echo {{v}}`', offset: 11, reason: 'backticks' },
    { name: 'inside a command substitution', template: 'echo $(echo {{v}})', offset: 12, reason: 'command substitution' },
    { name: 'inside a parameter expansion', template: 'echo ${x:-{{v}}}', offset: 10, reason: 'parameter expansion' },
    { name: 'in $(( )) arithmetic', template: 'echo $(( {{v}} + 1 ))', offset: 9, reason: 'arithmetic' },
    { name: 'in an (( )) command', template: '(( {{v}} > 1 )) && echo big', offset: 3, reason: 'arithmetic' },
    { name: 'in a [[ -eq ]] test', template: '[[ {{v}} -eq 1 ]]', offset: 3, reason: '[[ … ]]' },
    { name: 'in a [ -gt ] test', template: '[ {{v}} -gt 1 ]', offset: 2, reason: '`[`' },
    { name: 'as a test -v name', template: 'test -v {{v}}', offset: 8, reason: '`test`' },
    { name: 'in let', template: 'let x={{v}}', offset: 6, reason: '`let`' },
    { name: 'in command position', template: '{{v}} --version', offset: 0, reason: 'command position' },
    { name: 'in command position after &&', template: 'true && {{v}}', offset: 8, reason: 'command position' },
    { name: 'in command position after then', template: 'if true; then {{v}}; fi', offset: 14, reason: 'command position' },
    { name: 'in command position inside double quotes', template: '"{{v}}" -x', offset: 1, reason: 'command position' },
    { name: 'as part of the command word', template: '/usr/bin/{{v}} -x', offset: 9, reason: 'command position' },
    { name: 'in a string handed to eval', template: 'eval "echo {{v}}"', offset: 11, reason: '`eval`' },
    { name: 'in a string handed to sh -c', template: 'sh -c "echo {{v}}"', offset: 12, reason: '`sh`' },
    { name: 'in a string handed to bash -c by path', template: '/bin/bash -c "echo {{v}}"', offset: 19, reason: '`bash`' },
    { name: 'as an argument of sudo', template: 'sudo apt-get install {{v}}', offset: 21, reason: '`sudo`' },
    { name: 'as an argument of env', template: 'env PATH={{v}} true', offset: 9, reason: '`env`' },
    { name: 'in a sed script', template: 'sed -i "s/a/{{v}}/" /etc/x', offset: 12, reason: '`sed`' },
    { name: 'as an argument of a command named by an expansion', template: '$CMD {{v}}', offset: 5, reason: 'not a literal word' },
    { name: 'in an assignment', template: 'x={{v}}', offset: 2, reason: 'assignment' },
    { name: 'in a prefix assignment', template: 'LD_PRELOAD={{v}} true', offset: 11, reason: 'assignment' },
    { name: 'in an array subscript', template: 'a[{{v}}]=1', offset: 2, reason: 'assignment' },
    { name: 'in an array assignment', template: 'a=({{v}})', offset: 3, reason: 'array assignment' },
    { name: 'in declare', template: 'declare x={{v}}', offset: 10, reason: '`declare`' },
    { name: 'as printf -v name', template: 'printf -v {{v}} %s x', offset: 10, reason: '`printf` with options' },
    { name: 'as the printf format (it could be -v)', template: 'printf {{v}} x', offset: 7, reason: 'not a literal of string conversions' },
    {
      name: 'as an argument of a numeric printf conversion',
      template: 'printf "%s %d" {{v}} 1',
      offset: 15,
      reason: 'numeric conversions',
    },
    { name: 'as the count of shift (zsh and ksh evaluate it)', template: 'shift {{v}}', offset: 6, reason: '`shift`' },
    { name: 'inside single quotes', template: "echo '{{v}}'", offset: 6, reason: 'single quotes' },
    { name: "inside $'…'", template: "echo $'{{v}}'", offset: 7, reason: "$'…'" },
    { name: 'inside $"…"', template: 'echo $"{{v}}"', offset: 7, reason: '$"…"' },
    { name: 'in a process substitution', template: 'diff <(echo {{v}}) /x', offset: 12, reason: 'process substitution' },
    { name: 'as a file descriptor target', template: 'echo x >&{{v}}', offset: 9, reason: 'file descriptor' },
    { name: 'in a function name', template: 'f{{v}}() { true; }', offset: 1, reason: 'command position' },
    { name: 'as a loop variable', template: 'for {{v}} in a; do true; done', offset: 4, reason: 'loop variable' },
    { name: 'in command position after [[ ]]&&', template: '[[ x ]]&&{{v}}', offset: 9, reason: 'command position' },
    { name: 'in $[ ] arithmetic', template: 'echo $[{{v}}]', offset: 7, reason: 'arithmetic $[' },
    { name: 'piped into sh', template: 'printf %s {{v}} | sh', offset: 10, reason: 'pipeline into `sh`' },
    { name: 'piped into a loop', template: 'echo {{v}} | while read -r l; do echo "$l"; done', offset: 5, reason: 'compound command' },
    { name: 'in a here-string into bash', template: 'bash <<< {{v}}', offset: 9, reason: '`bash`' },
    { name: 'in a [ with two expanded operands', template: '[ {{v}} "$x" ]', offset: 2, reason: 'more than one expanded operand' },
    { name: 'in a template that defines a function', template: 'f() { eval "$1"; }; f {{v}}', offset: 22, reason: 'defines a function' },
    { name: 'in a template that defines an alias', template: 'alias p=eval\np {{v}}', offset: 15, reason: '`alias`' },
    { name: 'in a template that sources a file', template: '. /etc/app/functions; restore {{v}}', offset: 30, reason: '`.`' },
    {
      name: 'anywhere in a template with a here-document inside a substitution',
      template: 'x=$(cat <<E\n)\nE\n); echo {{v}}',
      offset: 24,
      reason: 'cannot follow',
    },
  ])('refuses a placeholder $name, naming the field and offset', ({ template, offset, reason }) => {
    const problems = validatePatchPlaceholders({ v: 'x' }, ['true', template]);
    expect(problems).toEqual([
      { field: 'rollback[1]', message: expect.stringContaining(`placeholder {{v}} at offset ${offset} is refused`) },
    ]);
    expect(problems[0]?.message).toContain(reason);
  });
});
