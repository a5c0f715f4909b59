interface Entry<T> {
  claims: T;
  expiresAtMs: number;
}

/**
 * Access tokens whose signature already checked out, by their exact text, so a
 * client that polls with the same token skips the HMAC each time. Only a
 * token that passed verification and carries an expiry is remembered, and
 * never past that expiry: the answer is the one verification would give.
 * Bounded: when full, it starts over.
 */
export class VerifiedTokens<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(private readonly maxEntries: number) {}

  /** The claims of a remembered token that has not expired at `nowMs`. */
  get(token: string, nowMs: number): T | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    // jsonwebtoken refuses a token once floor(now / 1000) >= exp, that is once now >= exp * 1000.
    if (nowMs >= entry.expiresAtMs) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.claims;
  }

  /** Remembers a token just verified; `exp` is its expiry claim (seconds), as in the token. */
  remember(token: string, claims: T, exp: unknown, nowMs: number): void {
    if (typeof exp !== 'number' || !Number.isFinite(exp)) return;
    const expiresAtMs = exp * 1000;
    if (nowMs >= expiresAtMs) return;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(token, { claims, expiresAtMs });
  }
}
