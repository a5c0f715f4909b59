/**
 * Why a connection to a host failed, in words an operator can act on: the
 * socket's own text (`connect ECONNREFUSED 10.0.0.5:22`, a resolver's
 * message) never reaches an API answer.
 */
export type ConnectFailureReason = 'address_not_allowed' | 'unresolvable' | 'refused' | 'timeout' | 'not_ssh' | 'unreachable';

export const CONNECT_FAILURE_TEXT: Record<ConnectFailureReason, string> = {
  address_not_allowed: 'its address is not in HOST_NETWORKS',
  unresolvable: 'its name does not resolve to an address',
  refused: 'the connection was refused (nothing listens on that port)',
  timeout: 'it did not answer in time',
  not_ssh: 'the port does not speak SSH',
  unreachable: 'there is no route to it',
};

const SOCKET_CODES: Record<string, ConnectFailureReason> = {
  ECONNREFUSED: 'refused',
  ETIMEDOUT: 'timeout',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EHOSTDOWN: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
  ENOTFOUND: 'unresolvable',
  EAI_AGAIN: 'unresolvable',
};

/**
 * An ssh2 error before the key exchange completed, classified by its socket
 * code and the layer ssh2 says failed: a peer that answers but is no SSH
 * server (a protocol error, or a close or reset before the key exchange) is
 * `not_ssh`.
 */
export function classifyConnectFailure(failure: {
  code?: string;
  level?: string;
  closedBeforeKeyExchange?: boolean;
}): ConnectFailureReason {
  const byCode = failure.code ? SOCKET_CODES[failure.code] : undefined;
  if (byCode) return byCode;
  if (failure.level === 'client-timeout') return 'timeout';
  if (failure.level === 'protocol' || failure.code === 'ECONNRESET' || failure.closedBeforeKeyExchange) return 'not_ssh';
  return 'unreachable';
}
