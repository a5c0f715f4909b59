import { classifyKeyParseError, keyParseProblem, passphraseProblem, privateKeyProblem, usernameProblem } from './credential-input';

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
