import type { FleetHost, SshFleet } from '../fleet/fleet';
import type { ApiClient } from './api-client';

export interface RegisteredHost {
  id: string;
  /** `${prefix}-${fleet host name}` */
  name: string;
  fleet: FleetHost;
}

/**
 * Registers every host of a running fleet with the gateway: one credential
 * from the fleet's key, each host as `${prefix}-${its fleet name}` with its host
 * key pinned and `labels`; sorted by name.
 */
export async function registerFleetHosts(
  api: ApiClient,
  fleet: SshFleet,
  prefix: string,
  labels: Record<string, string> = {},
): Promise<{ credentialId: string; hosts: RegisteredHost[] }> {
  const credential = await api.post('/credentials', { name: `${prefix}-key`, username: fleet.username, privateKey: fleet.privateKey });
  if (credential.status !== 201) throw new Error(`credential refused: ${credential.status} ${JSON.stringify(credential.body)}`);
  const bulk = await api.post('/hosts/bulk', {
    hosts: fleet.hosts.map((h) => ({
      name: `${prefix}-${h.name}`,
      address: h.address,
      port: h.port,
      credentialId: credential.body.id,
      hostKey: h.hostKey,
      labels,
    })),
  });
  if (bulk.status !== 201) throw new Error(`hosts refused: ${bulk.status} ${JSON.stringify(bulk.body)}`);
  const hosts = (bulk.body.items as { id: string; name: string }[])
    .map((item) => ({ id: item.id, name: item.name, fleet: fleet.host(item.name.slice(prefix.length + 1)) as FleetHost }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { credentialId: credential.body.id as string, hosts };
}
