import {
  fingerprintSha256,
  formatHostKey,
  hostKeyAlgorithmsFor,
  hostKeyFromBlob,
  InvalidHostKeyError,
  parseHostKey,
  sameHostKey,
  validateHostKey,
} from './host-key';

// Real keys from `ssh-keygen -t … -C …`; fingerprints from `ssh-keygen -lf`.
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKfBukIMFYzgvIVH28yRWPGwFCTIsfRvYi+ls/fNWQTX ed25519@test';
const ED25519_OTHER = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILsHvC0MzYbo5FIbo7GfsKpb8rRutkLnWm0VcX6LtcX4';
const ECDSA_256 =
  'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBL9uG8CcUgjfigGfDS7KqxEo9XpxrRtzfIFxe/b7OoT6kAUaM73uLGeN+E8mwm/NUEoSeKbmnmkV5BJ3QJMro6Y= ecdsab256@test';
const ECDSA_384 =
  'ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBPpOulLAMdzay6zCOh2TNBKzqschUwKRR7C82114WZDJCQuDczvCPhDf28+xK2WprsyROtVituKu6EZdMWY3b2va9LNV6EZf3EvNLznM6YQbvYA2TD03f3GuXJUIk5a5tQ== ecdsab384@test';
const ECDSA_521 =
  'ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAAr2rSYHRU4hP0DzYUKG/fe9fZM+H4arrlXRXg/GRrrM6QCXVKaShuXnZ0pXTUvkZg8qSmHp2LP39jBSxv861HjUABen+g/HcQ8b6t/P0rNvZgp8uuQLEawU8bAtQQuy5RMmA1+x1hdeAjoMkfjgYff6MredFavZWSZzcwG0pW9n30GUQ== ecdsab521@test';
const RSA_2048 =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCyjuzntv2eUfB7KRcCHgEeTbwjVaS6Yz2LYJdEQ77MmZNAqhaNTcKEHIaMBPwR26puO74lJx/ggezeLTYutc02ybQs4/tKibVqUrf34ei3z9cr7FYgq+AnnpH/vABO0uOYwn+6cdYoA3PkaH1DysYGskE9db1uIikGMrRLKzO545Ekqb4TFKJ1LEbDsmjRsQii5HqLxLG6/4IuGZE5skkN0LBADBBLQlJk4T9YiasxtZ2vxNmFXzdjv0phoNlHbDsE0HaoqKvBRklCjohY/5j8yHfxn+HuyBUjIasEemsuhOcUvW267srvldUcQmSp88z8kaY312rvsgdjT1YzJBhZ rsab2048@test';

const base64Of = (line: string): string => line.split(' ')[1];
/** An SSH string field: uint32 length + bytes. */
const sshString = (value: string | Buffer): Buffer => {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
};

describe('validateHostKey', () => {
  it.each([
    ['accepts an ed25519 key with a comment', ED25519, 'ssh-ed25519', 'ed25519@test'],
    ['accepts an ed25519 key without a comment', ED25519_OTHER, 'ssh-ed25519', undefined],
    ['accepts a nistp256 ECDSA key', ECDSA_256, 'ecdsa-sha2-nistp256', 'ecdsab256@test'],
    ['accepts a nistp384 ECDSA key', ECDSA_384, 'ecdsa-sha2-nistp384', 'ecdsab384@test'],
    ['accepts a nistp521 ECDSA key', ECDSA_521, 'ecdsa-sha2-nistp521', 'ecdsab521@test'],
    ['accepts an RSA key', RSA_2048, 'ssh-rsa', 'rsab2048@test'],
    ['accepts surrounding whitespace and tabs', `  ssh-ed25519\t${base64Of(ED25519)}  \n`, 'ssh-ed25519', undefined],
    ['keeps a comment that contains spaces', `${ED25519_OTHER} root@web 1 (prod)`, 'ssh-ed25519', 'root@web 1 (prod)'],
  ])('%s', (_name, line, type, comment) => {
    const result = validateHostKey(line);
    expect(result).toMatchObject({ valid: true, key: { type } });
    if (result.valid) expect(result.key.comment).toBe(comment);
  });

  it.each([
    ['rejects an empty string', '', 'expected "<type> <base64> [comment]"'],
    ['rejects a line with only a type', 'ssh-ed25519', 'expected "<type> <base64> [comment]"'],
    ['rejects DSA keys', `ssh-dss ${base64Of(ED25519)}`, 'unsupported key type "ssh-dss"'],
    ['rejects an options prefix as in authorized_keys', `from="10.0.0.1" ${ED25519}`, 'unsupported key type'],
    ['rejects key data that is not base64', 'ssh-ed25519 AAAA!!!!', 'not valid base64'],
    ['rejects base64 whose length is not a multiple of 4', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5A', 'not valid base64'],
    ['rejects non-canonical base64 (non-zero padding bits)', 'ssh-ed25519 AB==', 'not canonical base64'],
    ['rejects a blob with a truncated length field', 'ssh-ed25519 AAAA', 'not an SSH public key blob'],
    [
      'rejects a blob whose embedded type differs from the declared one',
      `ssh-rsa ${base64Of(ED25519)}`,
      'declared type "ssh-rsa" but the key data is "ssh-ed25519"',
    ],
    [
      'rejects an ECDSA key declared with the wrong curve',
      `ecdsa-sha2-nistp384 ${base64Of(ECDSA_256)}`,
      'declared type "ecdsa-sha2-nistp384" but the key data is "ecdsa-sha2-nistp256"',
    ],
    [
      'rejects an ed25519 blob with a short key',
      `ssh-ed25519 ${Buffer.concat([sshString('ssh-ed25519'), sshString(Buffer.alloc(31))]).toString('base64')}`,
      'one 32-byte public key',
    ],
    [
      'rejects an ed25519 blob with trailing bytes',
      `ssh-ed25519 ${Buffer.concat([sshString('ssh-ed25519'), sshString(Buffer.alloc(32)), Buffer.from([1])]).toString('base64')}`,
      'not an SSH public key blob',
    ],
    [
      'rejects an ECDSA blob naming another curve inside',
      `ecdsa-sha2-nistp256 ${Buffer.concat([sshString('ecdsa-sha2-nistp256'), sshString('nistp384'), sshString(Buffer.from([4, 1, 2]))]).toString('base64')}`,
      'names curve "nistp384"',
    ],
    [
      'rejects an RSA blob without a modulus',
      `ssh-rsa ${Buffer.concat([sshString('ssh-rsa'), sshString(Buffer.from([1, 0, 1]))]).toString('base64')}`,
      'an exponent and a modulus',
    ],
    ['rejects two lines', `${ED25519}\n${ED25519_OTHER}`, 'single line'],
  ])('%s', (_name, line, reason) => {
    const result = validateHostKey(line);
    expect(result.valid).toBe(false);
    if (!result.valid) expect(result.reason).toContain(reason);
  });
});

describe('parseHostKey', () => {
  it('returns the decoded blob and canonical base64', () => {
    const key = parseHostKey(ED25519);
    expect(key.base64).toBe(base64Of(ED25519));
    expect(key.blob.equals(Buffer.from(base64Of(ED25519), 'base64'))).toBe(true);
  });

  it('throws InvalidHostKeyError naming the reason', () => {
    expect(() => parseHostKey('ssh-dss AAAA')).toThrow(InvalidHostKeyError);
    expect(() => parseHostKey('ssh-dss AAAA')).toThrow(/invalid host key: unsupported key type "ssh-dss"/);
  });
});

describe('fingerprintSha256', () => {
  it.each([
    ['ed25519', ED25519, 'SHA256:3yvzPJs05jyCwLMrQMedR6vQR9m0KDbUzH3H0dDHlMQ'],
    ['ECDSA nistp256', ECDSA_256, 'SHA256:8IXTkYbBwdfbCsVDvXT0BpuwoEzxrRFBn4Oy879xpmw'],
    ['ECDSA nistp384', ECDSA_384, 'SHA256:BRUh+kSEo7tejaW2Bw8s597uTxcZo+X5L6NPU4dl/5o'],
    ['ECDSA nistp521', ECDSA_521, 'SHA256:oIDAKxZvWetpxM1WjWlSVgyUBePQd4yHDm8oxx5zrX0'],
    ['RSA 2048', RSA_2048, 'SHA256:xdAIvI4Enz/VwbxtJIuWSTFHl5eBW7tg+TGAQQp9ytc'],
  ])('matches ssh-keygen -l for an %s key', (_name, line, fingerprint) => {
    expect(fingerprintSha256(parseHostKey(line).blob)).toBe(fingerprint);
  });
});

describe('sameHostKey', () => {
  it.each([
    ['the same line', ED25519, ED25519, true],
    ['the same key with another comment', ED25519, `ssh-ed25519 ${base64Of(ED25519)} other@host`, true],
    ['the same key with different whitespace', ED25519, `ssh-ed25519    ${base64Of(ED25519)}`, true],
    ['two different ed25519 keys', ED25519, ED25519_OTHER, false],
    ['keys of different types', ED25519, RSA_2048, false],
    ['a valid key and an invalid line', ED25519, 'ssh-ed25519 AAAA', false],
    ['two identical invalid lines', 'garbage', 'garbage', false],
  ])('%s → %s', (_name, a, b, expected) => {
    expect(sameHostKey(a, b)).toBe(expected);
    expect(sameHostKey(b, a)).toBe(expected);
  });

  it('compares a parsed key with a line', () => {
    expect(sameHostKey(parseHostKey(ECDSA_256), ECDSA_256)).toBe(true);
  });
});

describe('formatHostKey and hostKeyFromBlob', () => {
  it.each([ED25519, ECDSA_256, ECDSA_384, ECDSA_521, RSA_2048])('round-trip a presented blob to "type base64": %s', (line) => {
    const key = parseHostKey(line);
    const fromBlob = hostKeyFromBlob(key.blob);
    expect(formatHostKey(fromBlob)).toBe(line.split(' ').slice(0, 2).join(' '));
  });

  it('refuses a presented blob of an unsupported type', () => {
    expect(() => hostKeyFromBlob(Buffer.concat([sshString('ssh-dss'), sshString(Buffer.alloc(4))]))).toThrow(InvalidHostKeyError);
  });
});

describe('hostKeyAlgorithmsFor', () => {
  it.each([
    ['ssh-ed25519', ['ssh-ed25519']],
    ['ecdsa-sha2-nistp384', ['ecdsa-sha2-nistp384']],
    ['ssh-rsa', ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']],
  ] as const)('offers only what a %s key can sign with', (type, algorithms) => {
    expect(hostKeyAlgorithmsFor(type)).toEqual(algorithms);
  });
});
