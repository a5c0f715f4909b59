import { httpAuditEvent, HttpRequestFacts, isMutatingMethod, outcomeForStatus } from './http-audit-event';

const ALICE = { kind: 'user' as const, userId: '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f', name: 'alice' };

function aRequest(overrides: Partial<HttpRequestFacts> = {}): HttpRequestFacts {
  return {
    method: 'POST',
    originalUrl: '/hosts/0d5c1f9a-8b7e-4d6c-9a5b-1c2d3e4f5a6b/host-key/trust?dryRun=1',
    routePath: '/hosts/:id/host-key/trust',
    params: { id: '0d5c1f9a-8b7e-4d6c-9a5b-1c2d3e4f5a6b' },
    actor: ALICE,
    requestId: 'req-1',
    address: '10.0.0.7',
    statusCode: 201,
    durationMs: 12,
    ...overrides,
  };
}

describe('isMutatingMethod and outcomeForStatus', () => {
  it.each([
    ['POST', true],
    ['put', true],
    ['PATCH', true],
    ['DELETE', true],
    ['GET', false],
    ['HEAD', false],
    ['OPTIONS', false],
  ])('%s mutates: %s', (method, expected) => {
    expect(isMutatingMethod(method)).toBe(expected);
  });

  it.each([
    [200, 'success'],
    [202, 'success'],
    [304, 'success'],
    [401, 'denied'],
    [403, 'denied'],
    [400, 'failure'],
    [404, 'failure'],
    [413, 'failure'],
    [429, 'failure'],
    [500, 'failure'],
    [null, 'failure'],
  ])('status %s is a %s', (status, outcome) => {
    expect(outcomeForStatus(status)).toBe(outcome);
  });
});

describe('httpAuditEvent', () => {
  it('names the route pattern, the resource from the path and the caller', () => {
    expect(httpAuditEvent(aRequest())).toEqual({
      actorKind: 'user',
      actorId: ALICE.userId,
      actorName: 'alice',
      action: 'POST /hosts/:id/host-key/trust',
      resourceType: 'hosts',
      resourceId: '0d5c1f9a-8b7e-4d6c-9a5b-1c2d3e4f5a6b',
      requestId: 'req-1',
      address: '10.0.0.7',
      outcome: 'success',
      statusCode: 201,
      detail: { path: '/hosts/0d5c1f9a-8b7e-4d6c-9a5b-1c2d3e4f5a6b/host-key/trust', durationMs: 12 },
    });
  });

  it('prefers the resource and action a handler named', () => {
    const event = httpAuditEvent(
      aRequest({
        method: 'POST',
        originalUrl: '/hosts',
        routePath: '/hosts',
        params: {},
        auditResource: { type: 'host', id: 'h-1' },
        auditAction: 'host.create',
      }),
    );
    expect(event).toEqual(expect.objectContaining({ action: 'host.create', resourceType: 'host', resourceId: 'h-1' }));
  });

  it('records an anonymous request no route matched by its raw path, without the query string', () => {
    const event = httpAuditEvent(
      aRequest({ originalUrl: '/nowhere/x?token=abc', routePath: undefined, params: { id: 'x' }, actor: undefined, statusCode: 404 }),
    );
    expect(event).toEqual(
      expect.objectContaining({
        actorKind: 'anonymous',
        actorId: null,
        actorName: null,
        action: 'POST /nowhere/x',
        resourceType: 'nowhere',
        resourceId: null,
        outcome: 'failure',
      }),
    );
    expect(JSON.stringify(event)).not.toContain('token');
  });

  it('does not take a catch-all middleware pattern for the route of an unrouted request', () => {
    const event = httpAuditEvent(
      aRequest({
        method: 'DELETE',
        originalUrl: '/nowhere/42',
        routePath: '{/*splat}',
        params: { splat: ['nowhere', '42'] },
        statusCode: 404,
      }),
    );
    expect(event).toEqual(expect.objectContaining({ action: 'DELETE /nowhere/42', resourceType: 'nowhere', resourceId: null }));
  });

  it.each([
    ['a failed login', 401, 'denied'],
    ['a successful login', 200, 'success'],
  ])('names %s by the attempted username and never keeps the password', (_name, statusCode, outcome) => {
    const event = httpAuditEvent(
      aRequest({
        originalUrl: '/auth/login',
        routePath: '/auth/login',
        params: {},
        actor: undefined,
        statusCode,
        body: { username: 'admin', password: 'Hunter2-Hunter2-Hunter2' },
      }),
    );
    expect(event).toEqual(
      expect.objectContaining({ actorKind: 'anonymous', actorName: 'admin', action: 'POST /auth/login', resourceType: 'auth', outcome }),
    );
    expect(JSON.stringify(event)).not.toContain('Hunter2');
  });

  it('reads no username from the body of any other route', () => {
    const event = httpAuditEvent(aRequest({ actor: undefined, body: { username: 'bob' }, statusCode: 401 }));
    expect(event.actorName).toBeNull();
  });

  it('ignores a login username that is not a string', () => {
    const event = httpAuditEvent(
      aRequest({ originalUrl: '/auth/login', routePath: '/auth/login', actor: undefined, body: { username: { $ne: 1 } } }),
    );
    expect(event.actorName).toBeNull();
  });

  it('keeps the API key behind an actor', () => {
    const event = httpAuditEvent(aRequest({ actor: { kind: 'api-key', userId: ALICE.userId, name: 'key:ci', apiKeyId: 'k-1' } }));
    expect(event).toEqual(
      expect.objectContaining({ actorKind: 'api-key', actorName: 'key:ci', detail: expect.objectContaining({ apiKeyId: 'k-1' }) }),
    );
  });

  it('records a request whose client hung up before the response as an aborted failure', () => {
    const event = httpAuditEvent(aRequest({ statusCode: null }));
    expect(event).toEqual(
      expect.objectContaining({ outcome: 'failure', statusCode: null, detail: expect.objectContaining({ aborted: true }) }),
    );
  });
});
