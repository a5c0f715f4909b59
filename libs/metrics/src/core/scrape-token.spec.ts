import { checkScrapeToken } from './scrape-token';

const TOKEN = 'scrape-token-0123456789abcdef';

describe('checkScrapeToken', () => {
  it.each<[string, string, string | undefined, string]>([
    ['is disabled when no token is configured, whatever the request sends', '', `Bearer ${TOKEN}`, 'disabled'],
    ['accepts the configured bearer token', TOKEN, `Bearer ${TOKEN}`, 'ok'],
    ['accepts the scheme in any case and trailing blanks', TOKEN, `bearer ${TOKEN}  `, 'ok'],
    ['reports a request without Authorization as missing', TOKEN, undefined, 'missing'],
    ['reports another scheme as missing', TOKEN, `Basic ${TOKEN}`, 'missing'],
    ['reports an empty bearer as missing', TOKEN, 'Bearer ', 'missing'],
    ['refuses a wrong token', TOKEN, 'Bearer scrape-token-0123456789abcdeX', 'invalid'],
    ['refuses a prefix of the token', TOKEN, `Bearer ${TOKEN.slice(0, -1)}`, 'invalid'],
    ['refuses the token with a suffix', TOKEN, `Bearer ${TOKEN}x`, 'invalid'],
  ])('%s', (_name, configured, header, verdict) => {
    expect(checkScrapeToken(configured, header)).toBe(verdict);
  });
});
