import { classifyConnectFailure, ConnectFailureReason } from './connect-failure';

describe('classifyConnectFailure', () => {
  it.each<{ name: string; failure: Parameters<typeof classifyConnectFailure>[0]; expected: ConnectFailureReason }>([
    { name: 'a refused connection is refused', failure: { code: 'ECONNREFUSED', level: 'client-socket' }, expected: 'refused' },
    { name: 'a socket timeout is a timeout', failure: { code: 'ETIMEDOUT', level: 'client-socket' }, expected: 'timeout' },
    { name: "ssh2's ready timeout is a timeout", failure: { level: 'client-timeout' }, expected: 'timeout' },
    { name: 'no route is unreachable', failure: { code: 'EHOSTUNREACH', level: 'client-socket' }, expected: 'unreachable' },
    { name: 'a name that does not resolve is unresolvable', failure: { code: 'ENOTFOUND' }, expected: 'unresolvable' },
    { name: 'a protocol error (an HTTP server answering) is not SSH', failure: { level: 'protocol' }, expected: 'not_ssh' },
    { name: 'a reset before the key exchange is not SSH', failure: { code: 'ECONNRESET', level: 'client-socket' }, expected: 'not_ssh' },
    { name: 'a close before the key exchange is not SSH', failure: { closedBeforeKeyExchange: true }, expected: 'not_ssh' },
    { name: 'anything else is unreachable', failure: { code: 'EWHATEVER' }, expected: 'unreachable' },
  ])('$name', ({ failure, expected }) => {
    expect(classifyConnectFailure(failure)).toBe(expected);
  });
});
