import { Injectable } from '@nestjs/common';
import { BadInputError, DomainError } from '@vulnzero/http';
import { connectFailureText, HostNetworks, SshConnectionError, SshConnectTimeoutError } from '@vulnzero/ssh';
import { HostTimeoutError, HostUnreachableError } from './inventory.errors';

/**
 * HOST_NETWORKS at registration, and the trust route's answer when the host
 * could not be reached: the gateway names the field or the classified reason,
 * never a socket's own text.
 */
@Injectable()
export class HostAddressCheck {
  constructor(private readonly networks: HostNetworks) {}

  /**
   * 400 naming every field whose address resolves outside HOST_NETWORKS. A
   * name that does not resolve yet is accepted: it is resolved and checked
   * again at every connection.
   */
  async assertAllowed(items: { address: string; field: string }[]): Promise<void> {
    const problems = await Promise.all(
      items.map(async ({ address, field }) => {
        const resolved = await this.networks.resolve(address);
        return !resolved.ok && resolved.reason === 'address_not_allowed' ? `${field}: ${resolved.message}` : null;
      }),
    );
    const errors = problems.filter((p): p is string => p !== null);
    if (errors.length > 0)
      throw new BadInputError(errors, { field: items.length === 1 ? items[0]?.field : 'address', reason: 'address_not_allowed' });
  }
}

/** The trust route's error for a failed connection, or null when `error` is not a connection failure. */
export function trustFailure(hostName: string, error: unknown): DomainError | null {
  if (!(error instanceof SshConnectionError)) return null;
  const reason = error.reason;
  if (reason === 'address_not_allowed') {
    return new BadInputError([`address: host ${hostName} is not in HOST_NETWORKS: nothing was sent to it`], { field: 'address', reason });
  }
  if (error instanceof SshConnectTimeoutError || reason === 'timeout') return new HostTimeoutError(hostName, connectFailureText('timeout'));
  return new HostUnreachableError(
    hostName,
    reason ? connectFailureText(reason) : 'the SSH key exchange failed',
    reason ?? 'key_exchange_failed',
  );
}
