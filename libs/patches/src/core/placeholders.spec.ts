import {
  findPlaceholders,
  MissingCaptureError,
  renderCommand,
  validatePatchPlaceholders,
} from './placeholders';

describe('findPlaceholders', () => {
  it.each<[string, string, string[]]>([
    [
      'finds one placeholder',
      'apt-get install -y openssl={{previousVersion}}',
      ['previousVersion'],
    ],
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
  it.each<[string, string, Record<string, string>, string]>([
    [
      'replaces a placeholder by the quoted value',
      'apt-get install -y openssl={{previousVersion}}',
      { previousVersion: '3.0.11-1~deb12u2' },
      `apt-get install -y openssl='3.0.11-1~deb12u2'`,
    ],
    ['quotes an empty capture as an empty word', '[ -z {{v}} ]', { v: '' }, `[ -z '' ]`],
    [
      'neutralises shell in a captured value',
      'echo {{v}}',
      { v: "x'; rm -rf / #" },
      `echo 'x'\\''; rm -rf / #'`,
    ],
    [
      'does not expand a placeholder found inside a captured value',
      'echo {{a}} {{b}}',
      { a: '{{b}}', b: 'B' },
      `echo '{{b}}' 'B'`,
    ],
    ['renders whitespace-padded placeholders', 'echo {{ v }}', { v: '1' }, `echo '1'`],
    [
      'leaves a command without placeholders as it is',
      'systemctl restart nginx',
      {},
      'systemctl restart nginx',
    ],
  ])('%s', (_name, template, values, expected) => {
    expect(renderCommand(template, values)).toBe(expected);
  });

  it('throws a MissingCaptureError naming the placeholder that has no value', () => {
    const render = () => renderCommand('echo {{a}} {{missing}}', { a: '1' });
    expect(render).toThrow(MissingCaptureError);
    expect(render).toThrow('{{missing}}');
    try {
      render();
    } catch (error) {
      expect((error as MissingCaptureError).placeholder).toBe('missing');
    }
  });

  it('does not resolve a placeholder from Object.prototype', () => {
    expect(() => renderCommand('echo {{constructor}}', {})).toThrow(MissingCaptureError);
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
    expect(
      validatePatchPlaceholders({ a: 'x' }, ['echo {{a}}', 'echo {{b}}', 'echo {{c}} {{a}} {{d}}']),
    ).toEqual([
      { field: 'rollback[1]', message: expect.stringContaining('{{b}}') },
      { field: 'rollback[2]', message: expect.stringContaining('{{c}}') },
      { field: 'rollback[2]', message: expect.stringContaining('{{d}}') },
    ]);
  });

  it.each([
    ['double quotes', 'echo "v={{a}}"'],
    ['single quotes', "echo '{{a}}'"],
  ])('rejects a placeholder written inside %s', (_name, command) => {
    expect(validatePatchPlaceholders({ a: 'x' }, [command])).toEqual([
      { field: 'rollback[0]', message: expect.stringContaining('inside quotes') },
    ]);
  });

  it('accepts a placeholder after a closed quoted string and an escaped quote', () => {
    expect(validatePatchPlaceholders({ a: 'x' }, [`echo "q" \\" '\\' {{a}}`])).toEqual([]);
  });

  it('rejects capture names that no placeholder could reference', () => {
    expect(validatePatchPlaceholders({ 'previous-version': 'x' }, [])).toEqual([
      { field: 'capture.previous-version', message: expect.any(String) },
    ]);
  });
});
