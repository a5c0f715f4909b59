import {
  becomeProblems,
  classifyKeyParseError,
  keyParseProblem,
  passphraseProblem,
  privateKeyProblem,
  usernameProblem,
} from './credential-input';

describe('credential fields', () => {
  it.each([
    ['deploy', null],
    ['svc_patch.bot@corp', null],
    ['', /must be 1-64/],
    ['-oProxyCommand=x', /must be 1-64/],
    ['has space', /must be 1-64/],
    [7, /must be a string/],
  ])('username %p', (value, expected) => {
    const problem = usernameProblem(value);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });

  it('bounds the private key and passphrase without ever quoting them', () => {
    const secret = 'SECRET-MATERIAL';
    for (const problem of [
      privateKeyProblem(`${secret}${'x'.repeat(17 * 1024)}`),
      privateKeyProblem('   '),
      privateKeyProblem(12),
      passphraseProblem(''),
      passphraseProblem(`${secret}${'x'.repeat(2000)}`),
    ]) {
      expect(problem).toEqual(expect.any(String));
      expect(problem).not.toContain(secret);
    }
    expect(privateKeyProblem('-----BEGIN OPENSSH PRIVATE KEY-----\n...')).toBeNull();
    expect(passphraseProblem('correct horse')).toBeNull();
  });

  it.each([
    ['Encrypted OpenSSH private key detected, but no passphrase given', 'privateKey: is encrypted: send its passphrase'],
    ['Malformed OpenSSH private key. Bad passphrase?', 'privateKey: cannot be decrypted with the given passphrase'],
    ['OpenSSH key integrity check failed -- bad passphrase?', 'privateKey: cannot be decrypted with the given passphrase'],
    ['Unsupported key format', expect.stringMatching(/^privateKey: is not a supported private key/)],
    ['Malformed OpenSSH private key', expect.stringMatching(/^privateKey: is not a supported private key/)],
  ])('explains the parser saying "%s"', (message, explained) => {
    expect(keyParseProblem(classifyKeyParseError(message))).toEqual(explained);
  });
});

describe('become', () => {
  it.each<{ name: string; become: unknown; expected: string[] }>([
    { name: 'sudo without a password (NOPASSWD)', become: { method: 'sudo' }, expected: [] },
    { name: 'sudo with a password', become: { method: 'sudo', password: 'p a$s\'w"d' }, expected: [] },
    { name: 'another method', become: { method: 'su' }, expected: ['become.method: must be "sudo"'] },
    { name: 'no method', become: {}, expected: ['become.method: must be "sudo"'] },
    {
      name: 'an empty password',
      become: { method: 'sudo', password: '' },
      expected: [expect.stringMatching(/^become\.password: must not be empty/) as unknown as string],
    },
    {
      name: 'a password with a newline',
      become: { method: 'sudo', password: 'SECRET\nx' },
      expected: ['become.password: must not contain NUL, CR or LF'],
    },
    {
      name: 'a password with a NUL byte',
      become: { method: 'sudo', password: 'SECRET\0x' },
      expected: ['become.password: must not contain NUL, CR or LF'],
    },
    {
      name: 'a password over 1024 bytes',
      become: { method: 'sudo', password: `SECRET${'é'.repeat(510)}` },
      expected: ['become.password: must be at most 1024 bytes'],
    },
    { name: 'a password that is not a string', become: { method: 'sudo', password: 5 }, expected: ['become.password: must be a string'] },
    { name: 'an unknown field', become: { method: 'sudo', user: 'root' }, expected: ['become.user: is not a field of become'] },
    { name: 'not an object', become: 'sudo', expected: ['become: must be an object {"method": "sudo", "password"?}'] },
  ])('$name', ({ become, expected }) => {
    const problems = becomeProblems(become);
    expect(problems).toEqual(expected);
    for (const problem of problems) expect(problem).not.toContain('SECRET');
  });
});
