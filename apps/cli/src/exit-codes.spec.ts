import { ExitCode, exitCodeForHttpStatus, exitCodeForTask } from './exit-codes';
import { gatewayError } from './gateway-client';

describe('exit codes', () => {
  it.each([
    ['succeeded', ExitCode.ok],
    ['failed', ExitCode.failed],
    ['cancelled', ExitCode.failed],
  ])('a task that ended %s exits %d', (status, code) => expect(exitCodeForTask({ status })).toBe(code));

  it.each([
    [400, ExitCode.usage],
    [401, ExitCode.usage],
    [403, ExitCode.usage],
    [404, ExitCode.failed],
    [409, ExitCode.failed],
    [429, ExitCode.failed],
    [500, ExitCode.failed],
    [503, ExitCode.failed],
  ])('HTTP %d exits %d', (status, code) => expect(exitCodeForHttpStatus(status)).toBe(code));
});

describe('gatewayError: one clear line per error answer', () => {
  const body = (message: unknown) => ({ statusCode: 0, error: 'x', message, requestId: 'req-1' });

  it.each([
    [401, 'invalid or expired token', 'not authenticated (401): invalid or expired token; check VULNZERO_TOKEN or --token'],
    [403, 'missing permission deployments:write', 'permission denied (403) for POST /deployments: missing permission deployments:write'],
    [404, 'deployment 42 not found', 'not found (404): deployment 42 not found'],
    [409, 'host web-01 is in deployment 7', 'POST /deployments failed (409): host web-01 is in deployment 7'],
    [502, 'internal error', 'POST /deployments failed (502): internal error'],
  ])('%d', (status, message, line) => {
    const error = gatewayError('POST', '/deployments', status, body(message));
    expect(error.message).toBe(line);
    expect(error.message).not.toContain('\n');
    expect(error.requestId).toBe('req-1');
  });

  it('says when to retry a rate-limited call', () =>
    expect(gatewayError('GET', '/tasks/1', 429, body('too many requests'), '12').message).toBe(
      'rate limited (429) on GET /tasks/1: retry after 12s',
    ));

  it('lists every validation problem of a 400 as details', () => {
    const error = gatewayError('POST', '/hosts/bulk', 400, body(['hosts[0].address: bad', 'hosts[2].port: bad']));
    expect(error.message).toBe('the gateway refused POST /hosts/bulk (400):');
    expect(error.details).toEqual(['hosts[0].address: bad', 'hosts[2].port: bad']);
    expect(error.exitCode).toBe(ExitCode.usage);
  });

  it('keeps a proxy error page short', () => {
    const error = gatewayError('GET', '/tasks/1', 502, '<html>' + 'x'.repeat(1000));
    expect(error.message.length).toBeLessThan(260);
  });
});
