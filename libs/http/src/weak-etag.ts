import { hash } from 'node:crypto';

/** The tag of an empty body, as the `etag` package writes it. */
const EMPTY = 'W/"0-2jmj7l5rSw0yVb/vlWAYkK/YBwk"';

/**
 * Express's default ETag (weak, `W/"<length in hex>-<first 27 base64
 * characters of the body's SHA-1>"`, from the `etag` package), byte for byte,
 * with one-shot hashing instead of a Hash object per response: every JSON
 * answer gets one, and `GET /tasks/:id` pollers send it back in If-None-Match.
 * For `app.set('etag', weakEtag)`.
 */
export function weakEtag(body: Buffer | string, encoding?: BufferEncoding): string {
  const buffer = typeof body === 'string' ? Buffer.from(body, encoding) : body;
  if (buffer.length === 0) return EMPTY;
  return `W/"${buffer.length.toString(16)}-${hash('sha1', buffer, 'base64').substring(0, 27)}"`;
}
