// Shape rules for SSH credentials. Whether a key really parses is decided by
// the service (ssh2); these rules only bound what reaches the parser.

export const USERNAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$/;
export const MAX_PRIVATE_KEY_LENGTH = 16 * 1024;
export const MAX_PASSPHRASE_LENGTH = 1024;

export function usernameProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  return USERNAME_PATTERN.test(value)
    ? null
    : 'must be 1-64 characters of letters, digits, "_", ".", "@" or "-", not starting with "." "@" or "-"';
}

// Never quote the value in these messages: it is a secret.
export function privateKeyProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string holding a private key (OpenSSH or PEM)';
  if (value.trim().length === 0) return 'must not be empty';
  if (value.length > MAX_PRIVATE_KEY_LENGTH) return `must be at most ${MAX_PRIVATE_KEY_LENGTH} characters`;
  return null;
}

export function passphraseProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length === 0) return 'must not be empty (leave it out for an unencrypted key)';
  if (value.length > MAX_PASSPHRASE_LENGTH) return `must be at most ${MAX_PASSPHRASE_LENGTH} characters`;
  return null;
}

export type KeyParseFailure = 'needs-passphrase' | 'bad-passphrase' | 'public-key' | 'unsupported';

/** What the caller is told when a key does not parse: the field and why, never the key. */
export function keyParseProblem(failure: KeyParseFailure): string {
  switch (failure) {
    case 'needs-passphrase':
      return 'privateKey: is encrypted: send its passphrase';
    case 'bad-passphrase':
      return 'privateKey: cannot be decrypted with the given passphrase';
    case 'public-key':
      return 'privateKey: is a public key: send the private key';
    case 'unsupported':
      return 'privateKey: is not a supported private key (OpenSSH or PEM; Ed25519, ECDSA or RSA)';
  }
}

/** Classifies ssh2's parse error messages, which are not a stable API, by their wording. */
export function classifyKeyParseError(message: string): KeyParseFailure {
  if (/no passphrase given|passphrase required|encrypted .*without/i.test(message)) return 'needs-passphrase';
  if (/bad passphrase|integrity check failed|bad decrypt|wrong passphrase/i.test(message)) return 'bad-passphrase';
  return 'unsupported';
}
