import { createHash } from 'node:crypto';
import { masterKeyId, SecretBox, SecretUnavailableError } from './secret-box';

const masterKey = Buffer.alloc(32, 9);
const box = new SecretBox({ masterKey });

describe('SecretBox (AES-256-GCM under the master key)', () => {
  it('opens what it sealed, for the same context', () => {
    const sealed = box.seal('-----BEGIN OPENSSH PRIVATE KEY-----', 'credential:1:privateKey');
    expect(sealed.ciphertext.toString('utf8')).not.toContain('OPENSSH');
    expect(sealed.iv).toHaveLength(12);
    expect(sealed.tag).toHaveLength(16);
    expect(box.open(sealed, 'credential:1:privateKey')).toBe('-----BEGIN OPENSSH PRIVATE KEY-----');
  });

  it('uses a fresh IV for every secret, so equal secrets do not look equal', () => {
    const a = box.seal('same', 'c');
    const b = box.seal('same', 'c');
    expect(a.iv.equals(b.iv)).toBe(false);
    expect(a.ciphertext.equals(b.ciphertext)).toBe(false);
  });

  it('records the master key id as the first 8 hex characters of its SHA-256', () => {
    expect(box.keyId).toBe(createHash('sha256').update(masterKey).digest('hex').slice(0, 8));
    expect(masterKeyId(masterKey)).toBe(box.keyId);
    expect(box.seal('x', 'c').keyId).toBe(box.keyId);
  });

  it('refuses a ciphertext moved to another record or field', () => {
    const sealed = box.seal('key of host A', 'credential:A:privateKey');
    expect(() => box.open(sealed, 'credential:B:privateKey')).toThrow(SecretUnavailableError);
    expect(() => box.open(sealed, 'credential:A:passphrase')).toThrow(SecretUnavailableError);
  });

  it('refuses a tampered ciphertext or tag, without quoting the secret', () => {
    const sealed = box.seal('top secret passphrase', 'c');
    const flipped = Buffer.from(sealed.ciphertext);
    flipped[0] = (flipped[0] as number) ^ 1;
    expect(() => box.open({ ...sealed, ciphertext: flipped }, 'c')).toThrow(/failed authentication/);
    expect(() => box.open({ ...sealed, tag: Buffer.alloc(16) }, 'c')).toThrow(SecretUnavailableError);
    try {
      box.open({ ...sealed, tag: Buffer.alloc(16) }, 'c');
    } catch (error) {
      expect(String(error)).not.toContain('top secret');
    }
  });

  it('says which master key sealed a secret it cannot open', () => {
    const other = new SecretBox({ masterKey: Buffer.alloc(32, 1) });
    const sealed = other.seal('x', 'c');
    expect(() => box.open(sealed, 'c')).toThrow(`sealed under master key ${other.keyId}, but the configured master key is ${box.keyId}`);
  });

  it('refuses a master key that is not 32 bytes', () => {
    expect(() => new SecretBox({ masterKey: Buffer.alloc(16) })).toThrow(/32 bytes/);
  });
});
