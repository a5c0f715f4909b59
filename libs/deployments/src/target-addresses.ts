import { Injectable, Logger } from '@nestjs/common';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/**
 * What each target address resolves to now, for a deployment to pin: an IP
 * stands for itself; a DNS name gets the first address the system resolver
 * gives (as a connection to the name would), or null when it does not
 * resolve (logged with the resolver's code; the engine fails that host). Each distinct name is looked up once; lookups run on libuv's
 * small thread pool, which bounds how many go at once.
 */
@Injectable()
export class TargetAddresses {
  private readonly logger = new Logger(TargetAddresses.name);

  async resolve(addresses: string[]): Promise<Map<string, string | null>> {
    const names = [...new Set(addresses)].filter((address) => isIP(address) === 0);
    const resolved = new Map<string, string | null>(addresses.filter((a) => isIP(a) !== 0).map((ip) => [ip, ip]));
    await Promise.all(
      names.map(async (name) => {
        const address = await lookup(name).then(
          (found) => found.address,
          (error: NodeJS.ErrnoException) => {
            this.logger.warn({ address: name, code: error.code }, 'target address did not resolve: its host will fail');
            return null;
          },
        );
        resolved.set(name, address);
      }),
    );
    return resolved;
  }
}
