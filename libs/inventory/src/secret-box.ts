import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@vulnzero/config';

export interface SealedSecret {
  ciphertext: Buffer;
  /** 12 random bytes, fresh for every secret. */
  iv: Buffer;
  /** 16-byte GCM authentication tag. */
  tag: Buffer;
  /** Which master key sealed it: first 8 hex characters of sha256(master key). */
  keyId: string;
}

export class SecretUnavailableError extends Error {
  override readonly name = 'SecretUnavailableError';
}

const ALGORITHM = 'aes-256-gcm';

/** The id under which a master key is recorded next to what it sealed, so it can be rotated. */
export function masterKeyId(masterKey: Buffer): string {
  return createHash('sha256').update(masterKey).digest('hex').slice(0, 8);
}

/**
 * AES-256-GCM under VULNZERO_MASTER_KEY. Each secret is bound to a context
 * (e.g. `credential:<id>:privateKey`) as additional authenticated data, so a
 * ciphertext copied into another row or field fails to open instead of
 * handing one host another host's key.
 */
@Injectable()
export class SecretBox {
  private readonly masterKey: Buffer;
  readonly keyId: string;

  constructor(@Inject(APP_CONFIG) config: Pick<AppConfig, 'masterKey'>) {
    if (config.masterKey.length !== 32) throw new Error('VULNZERO_MASTER_KEY must be 32 bytes');
    this.masterKey = config.masterKey;
    this.keyId = masterKeyId(config.masterKey);
  }

  seal(plaintext: string, context: string): SealedSecret {
    const iv = randomBytes(12);
    const cipher = createCipheriv(ALGORITHM, this.masterKey, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { ciphertext, iv, tag: cipher.getAuthTag(), keyId: this.keyId };
  }

  /** Throws SecretUnavailableError (never with any secret in it) when it cannot open. */
  open(sealed: SealedSecret, context: string): string {
    if (sealed.keyId !== this.keyId) {
      throw new SecretUnavailableError(`sealed under master key ${sealed.keyId}, but the configured master key is ${this.keyId}`);
    }
    try {
      const decipher = createDecipheriv(ALGORITHM, this.masterKey, sealed.iv);
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(sealed.tag);
      return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretUnavailableError('ciphertext failed authentication (tampered or sealed for another record)');
    }
  }
}
