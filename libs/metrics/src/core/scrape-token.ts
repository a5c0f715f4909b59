import { createHash, timingSafeEqual } from 'node:crypto';

/** What a /metrics request's Authorization header amounts to. */
export type ScrapeVerdict = 'disabled' | 'missing' | 'invalid' | 'ok';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Checks `Authorization: Bearer <token>` against the configured scrape token.
 * An empty configured token means scraping is disabled. The comparison is of
 * fixed-length digests in constant time, so neither the token's content nor
 * its length leaks through response timing.
 */
export function checkScrapeToken(configured: string, authorization: string | undefined): ScrapeVerdict {
  if (configured === '') return 'disabled';
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
  if (!match) return 'missing';
  return timingSafeEqual(digest(match[1] as string), digest(configured)) ? 'ok' : 'invalid';
}
