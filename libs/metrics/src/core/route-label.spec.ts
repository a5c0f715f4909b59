import { routeLabel, UNMATCHED_ROUTE } from './route-label';

describe('routeLabel', () => {
  it.each<[string, string | undefined, unknown, string]>([
    ['keeps the pattern of a parameterised route, not the id', '', '/deployments/:id', '/deployments/:id'],
    ['joins a router mount point and its route', '/api', '/tasks/:id/events', '/api/tasks/:id/events'],
    ['labels the root route', '', '/', '/'],
    ['does not add a trailing slash for the root of a mounted router', '/docs', '/', '/docs'],
    ['collapses doubled slashes', '/', '/health/live', '/health/live'],
    ['strips a trailing slash', '', '/hosts/', '/hosts'],
    ['labels a request no route matched as one series', '', undefined, UNMATCHED_ROUTE],
    ['labels the catch-all not-found route as unmatched', '', '/{*path}', UNMATCHED_ROUTE],
    ['labels a legacy wildcard as unmatched', '', '*', UNMATCHED_ROUTE],
    ['labels a regular-expression route as unmatched rather than leaking its source', '', /^\/x/, UNMATCHED_ROUTE],
  ])('%s', (_name, baseUrl, routePath, expected) => {
    expect(routeLabel(baseUrl, routePath)).toBe(expected);
  });
});
