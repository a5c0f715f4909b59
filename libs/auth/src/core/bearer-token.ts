/**
 * The token of an `Authorization: Bearer <token>` header, or null. The one
 * reading of the header: the access guard (JWT or API key?) and passport-jwt
 * see the same token.
 */
export function bearerToken(request: { headers: { authorization?: string } }): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match ? (match[1] as string) : null;
}
