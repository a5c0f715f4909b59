// Where VulnZero reaches into ssh2's internals, for a cost per connection that
// ssh2 offers no option for. It checks that what it reaches for is there; with
// another ssh2 version that lacks it, nothing changes. Call right after
// `client.connect()`.
import type { Client } from 'ssh2';

/**
 * After authentication an OpenSSH server announces all its host keys
 * (`hostkeys-00@openssh.com`, for clients that keep known_hosts up to date),
 * and ssh2 answers by asking the server to prove each one: a signature per key
 * on the host, two more packets, a parse and a verification per key here, all
 * for a `hostkeys` event nothing listens to (the one key that counts is pinned
 * and checked in the key exchange). The announcement is dropped instead.
 */
export function dropHostKeyAnnouncements(client: Client): void {
  type Handler = (...args: unknown[]) => unknown;
  const handlers = (client as unknown as { _protocol?: { _handlers?: Record<string, Handler | undefined> } })._protocol?._handlers;
  const original = handlers?.GLOBAL_REQUEST;
  if (!handlers || typeof original !== 'function') return;
  handlers.GLOBAL_REQUEST = (packet: unknown, name: unknown, wantReply: unknown, ...rest: unknown[]) => {
    // A request that wants a reply still gets ssh2's (a refusal, for anything but the announcement).
    if (name === 'hostkeys-00@openssh.com' && !wantReply) return undefined;
    return original(packet, name, wantReply, ...rest);
  };
}
