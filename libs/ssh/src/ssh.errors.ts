// Typed connection failures, so that callers (the deploy engine, host-key
// trust) record *why* a host could not be reached without parsing messages.

import { CONNECT_FAILURE_TEXT, type ConnectFailureReason } from './core/connect-failure';

export type SshConnectionErrorKind = 'timeout' | 'auth' | 'host_key_mismatch' | 'network' | 'address_not_allowed';

export interface SshEndpoint {
  address: string;
  port: number;
}

export class SshConnectionError extends Error {
  override name = 'SshConnectionError';
  constructor(
    readonly kind: SshConnectionErrorKind,
    readonly endpoint: SshEndpoint,
    message: string,
    options?: { cause?: unknown; reason?: ConnectFailureReason },
  ) {
    super(`${endpoint.address}:${endpoint.port}: ${message}`, options);
    this.reason = options?.reason;
  }

  /** Set when the connection failed before the key exchange: why, classified (never the socket's text). */
  readonly reason: ConnectFailureReason | undefined;
}

export class SshConnectTimeoutError extends SshConnectionError {
  override name = 'SshConnectTimeoutError';
  constructor(
    endpoint: SshEndpoint,
    readonly timeoutMs: number,
    options?: { cause?: unknown },
  ) {
    super('timeout', endpoint, `SSH connection not ready within ${timeoutMs} ms`, { ...options, reason: 'timeout' });
  }
}

export class SshAuthError extends SshConnectionError {
  override name = 'SshAuthError';
  constructor(endpoint: SshEndpoint, username: string, detail: string, options?: { cause?: unknown }) {
    super('auth', endpoint, `authentication failed for user "${username}": ${detail}`, options);
  }
}

/**
 * The server presented a key other than the pinned one. Raised from the
 * hostVerifier, i.e. before any credential is sent or command run.
 */
export class HostKeyMismatchError extends SshConnectionError {
  override name = 'HostKeyMismatchError';
  constructor(
    endpoint: SshEndpoint,
    readonly expectedFingerprint: string,
    readonly presentedFingerprint: string,
    readonly presentedKey: string,
  ) {
    super('host_key_mismatch', endpoint, `host key mismatch: expected ${expectedFingerprint}, server presented ${presentedFingerprint}`);
  }
}

/** The host's address (as resolved) is outside HOST_NETWORKS: no packet was sent. */
export class AddressNotAllowedError extends SshConnectionError {
  override name = 'AddressNotAllowedError';
  constructor(endpoint: SshEndpoint, detail: string) {
    super('address_not_allowed', endpoint, `not connecting: ${detail}`, { reason: 'address_not_allowed' });
  }
}

/** An operator's words for why a connection failed before the key exchange. */
export function connectFailureText(reason: ConnectFailureReason): string {
  return CONNECT_FAILURE_TEXT[reason];
}
