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

/** The only way of becoming root there is: `sudo`. */
export const BECOME_METHODS = ['sudo'] as const;
export type BecomeMethod = (typeof BECOME_METHODS)[number];
export const MAX_BECOME_PASSWORD_BYTES = 1024;

export interface BecomeInput {
  method: BecomeMethod;
  password?: string;
}

export function becomeMethodProblem(value: unknown): string | null {
  return typeof value === 'string' && (BECOME_METHODS as readonly string[]).includes(value) ? null : 'must be "sudo"';
}

// Never quote the value: it is a secret. A CR or LF would end the line the
// host reads the password from (it goes on stdin, never on a command line).
export function becomePasswordProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length === 0) return 'must not be empty (leave it out when sudoers says NOPASSWD)';
  if (/[\0\r\n]/.test(value)) return 'must not contain NUL, CR or LF';
  if (Buffer.byteLength(value, 'utf8') > MAX_BECOME_PASSWORD_BYTES) return `must be at most ${MAX_BECOME_PASSWORD_BYTES} bytes`;
  return null;
}

/** Every problem of a `become` object, each naming its field (`become.method: …`). */
export function becomeProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return ['become: must be an object {"method": "sudo", "password"?}'];
  const problems: string[] = [];
  const { method, password, ...unknown } = value as Record<string, unknown>;
  const methodProblem = becomeMethodProblem(method);
  if (methodProblem) problems.push(`become.method: ${methodProblem}`);
  const passwordProblem = password === undefined ? null : becomePasswordProblem(password);
  if (passwordProblem) problems.push(`become.password: ${passwordProblem}`);
  for (const field of Object.keys(unknown)) problems.push(`become.${field.slice(0, 64)}: is not a field of become`);
  return problems;
}
