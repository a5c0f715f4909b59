// API keys: `vz_` + 43 base64url characters (32 random bytes). The first
// characters after `vz_` are the public prefix, used to find the row; the
// whole key is only ever compared by hash.

export const API_KEY_PREFIX = 'vz_';
const PREFIX_LENGTH = 12;
const KEY_PATTERN = /^vz_[A-Za-z0-9_-]{43}$/;

export function formatApiKey(randomBytes: Uint8Array): { key: string; prefix: string } {
  if (randomBytes.length < 32) throw new Error('an API key needs at least 32 random bytes');
  const key = API_KEY_PREFIX + Buffer.from(randomBytes.subarray(0, 32)).toString('base64url');
  return { key, prefix: key.slice(0, API_KEY_PREFIX.length + PREFIX_LENGTH) };
}

/** The prefix of a well-formed key, or null: a malformed key never reaches the database. */
export function apiKeyPrefix(key: string): string | null {
  return KEY_PATTERN.test(key) ? key.slice(0, API_KEY_PREFIX.length + PREFIX_LENGTH) : null;
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}
