/** The `route` label of a request no route matched (404s, scanners): one series, not one per path. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The route pattern of a request (`/deployments/:id`), never its concrete path:
 * ids in a label would make one time series per resource. `routePath` is what
 * Express recorded for the matched route (`req.route.path`), `baseUrl` the
 * mount point of its router.
 */
export function routeLabel(baseUrl: string | undefined, routePath: unknown): string {
  if (typeof routePath !== 'string' || routePath === '') return UNMATCHED_ROUTE;
  // A catch-all (`{*path}`, `*`) is the not-found handler or a middleware mount, not an API route.
  if (routePath.includes('*')) return UNMATCHED_ROUTE;
  const joined = `${baseUrl ?? ''}${routePath === '/' && baseUrl ? '' : routePath}`;
  const normalised = joined.replace(/\/{2,}/g, '/');
  return normalised.length > 1 ? normalised.replace(/\/$/, '') : normalised;
}
