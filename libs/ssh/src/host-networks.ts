import { Inject, Injectable, Optional } from '@nestjs/common';
import { lookup } from 'node:dns/promises';
import {
  addressRefusal,
  APP_CONFIG,
  type AppConfig,
  DEFAULT_HOST_NETWORKS,
  type NetworkPolicy,
  parseIpAddress,
  parseNetworkPolicy,
} from '@vulnzero/config';
import type { ConnectFailureReason } from './core/connect-failure';

export type ResolvedAddress =
  { ok: true; ip: string } | { ok: false; reason: Extract<ConnectFailureReason, 'address_not_allowed' | 'unresolvable'>; message: string };

/**
 * Where the gateway and workers may connect (HOST_NETWORKS, docs/api.md#routes): a host's
 * address is resolved once and the resolved address is checked, then used
 * for the connection itself, so a name cannot be checked as one address and
 * connected to as another (DNS rebinding).
 */
@Injectable()
export class HostNetworks {
  private readonly policy: NetworkPolicy;

  constructor(@Optional() @Inject(APP_CONFIG) config?: AppConfig) {
    this.policy = config?.hostNetworks ?? parseNetworkPolicy(DEFAULT_HOST_NETWORKS);
  }

  /** The IP address to connect to for `address` (an IP literal or a DNS name), or why there is none. */
  async resolve(address: string): Promise<ResolvedAddress> {
    let ip = address;
    if (!parseIpAddress(address)) {
      try {
        ip = (await lookup(address)).address;
      } catch {
        return { ok: false, reason: 'unresolvable', message: `${address} does not resolve to an address` };
      }
    }
    const refusal = addressRefusal(this.policy, ip);
    if (refusal)
      return { ok: false, reason: 'address_not_allowed', message: ip === address ? refusal : `${address} resolves to ${refusal}` };
    return { ok: true, ip };
  }
}
