// Opens SSH connections with a pinned host key. There is no "accept any key"
// mode: a target without a valid pinned key is refused before any packet is
// sent, and a server presenting another key is dropped inside ssh2's
// hostVerifier, i.e. before authentication and before any command.
import { Injectable, Optional } from '@nestjs/common';
import { createPrivateKey, sign as signWith } from 'node:crypto';
import { Client, utils as sshUtils, type Algorithms, type ConnectConfig, type ParsedKey, type PublicKeyAuthMethod } from 'ssh2';
import {
  HOST_KEY_TYPES,
  fingerprintSha256,
  formatHostKey,
  hostKeyAlgorithmsFor,
  hostKeyFromBlob,
  parseHostKey,
  type HostKey,
} from './core/host-key';
import { becomePasswordLine, type Become } from './core/become-command';
import { classifyConnectFailure } from './core/connect-failure';
import { HostNetworks } from './host-networks';
import {
  AddressNotAllowedError,
  HostKeyMismatchError,
  SshAuthError,
  SshConnectionError,
  SshConnectTimeoutError,
  type SshEndpoint,
} from './ssh.errors';
import { SshSession } from './ssh-session';
import { dropHostKeyAnnouncements } from './ssh2-internals';

export const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;

/**
 * A private key parsed once (`SshConnector.prepareKey`), for many connections:
 * parsing, and for Ed25519 loading the key for signing, are then paid once per
 * credential instead of once per connection. Holds key material: keep it no
 * longer than the credential it came from.
 */
export interface PreparedKey {
  readonly parsed: ParsedKey;
}

export interface SshTarget {
  address: string;
  port: number;
  username: string;
  /** OpenSSH or PEM private key text, or a key prepared with `prepareKey`. */
  privateKey: string | Buffer | PreparedKey;
  passphrase?: string;
  /** Pinned OpenSSH public key line (`ssh-ed25519 AAAA…`). Required. */
  hostKey: string;
  /** Deadline for TCP connect + key exchange + authentication. Default 15 s. */
  connectTimeoutMs?: number;
  /** Every command of the session runs as root through sudo (a credential's `become`). */
  become?: Become;
}

// Names as ssh2 1.17 spells them (lib/protocol/constants.js). Note that
// `aes128-gcm` without the @openssh.com suffix is listed in ssh2's README but
// is not in its default list; OpenSSH only speaks the suffixed name.
const KEX = [
  'curve25519-sha256',
  'curve25519-sha256@libssh.org',
  'ecdh-sha2-nistp256',
  'ecdh-sha2-nistp384',
  'diffie-hellman-group14-sha256',
];
const CIPHERS = ['aes128-gcm@openssh.com', 'chacha20-poly1305@openssh.com', 'aes256-gcm@openssh.com', 'aes128-ctr', 'aes256-ctr'];
// Only used with the CTR fallbacks; AEAD ciphers carry their own integrity.
const MACS = ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512'];

function algorithmsFor(serverHostKey: string[]): Algorithms {
  // ssh2's Algorithms type lists a closed set of names; ours are all in it.
  return { kex: KEX, cipher: CIPHERS, hmac: MACS, serverHostKey, compress: ['none'] } as Algorithms;
}

/** ssh2 tags its errors with a `level` telling which layer failed. */
function levelOf(err: unknown): string | undefined {
  const level = (err as { level?: unknown } | null)?.level;
  return typeof level === 'string' ? level : undefined;
}

function isPrepared(key: SshTarget['privateKey']): key is PreparedKey {
  return typeof key === 'object' && !Buffer.isBuffer(key) && 'parsed' in key;
}

@Injectable()
export class SshConnector {
  private readonly networks: HostNetworks;

  /** Without HostNetworks (a test's `new SshConnector()`): HOST_NETWORKS' default, everything but link-local. */
  constructor(@Optional() networks?: HostNetworks) {
    this.networks = networks ?? new HostNetworks();
  }

  /**
   * The address to open a socket to: `address` resolved once and checked
   * against HOST_NETWORKS, so what was checked is what is connected to.
   */
  private async allowedAddress(endpoint: SshEndpoint): Promise<string> {
    const resolved = await this.networks.resolve(endpoint.address);
    if (resolved.ok) return resolved.ip;
    if (resolved.reason === 'address_not_allowed') throw new AddressNotAllowedError(endpoint, resolved.message);
    throw new SshConnectionError('network', endpoint, resolved.message, { reason: resolved.reason });
  }
  /**
   * Parses a private key once for many connections. Ed25519 keys also sign
   * with a loaded key object (ssh2 would load its PEM text on every signature).
   * Throws SshAuthError-free plain errors for an unreadable key: the caller
   * may fall back to passing the text, which reports it per connection.
   */
  prepareKey(privateKey: string | Buffer, passphrase?: string): PreparedKey {
    const result = sshUtils.parseKey(privateKey, passphrase);
    if (result instanceof Error) throw result;
    const parsed = (Array.isArray(result) ? result[0] : result) as ParsedKey;
    if (!parsed.isPrivateKey()) throw new Error('not a private key');
    if (parsed.type !== 'ssh-ed25519') return { parsed };
    const keyObject = createPrivateKey(parsed.getPrivatePEM());
    // ssh2 recognises a parsed key by its prototype; only signing is replaced,
    // with the same algorithm ssh2 uses for Ed25519 (no separate hash).
    const fast = Object.create(parsed, {
      sign: {
        value: (data: Buffer): Buffer | Error => {
          try {
            return signWith(null, data, keyObject);
          } catch (error) {
            return error as Error;
          }
        },
      },
    }) as ParsedKey;
    return { parsed: fast };
  }

  /**
   * Connects and authenticates. Rejects with HostKeyMismatchError,
   * SshConnectTimeoutError, SshAuthError or SshConnectionError ('network').
   * Throws InvalidHostKeyError (synchronously, as a rejection) when the pinned
   * key is not a valid OpenSSH public key line.
   */
  async connect(target: SshTarget): Promise<SshSession> {
    const pinned = parseHostKey(target.hostKey);
    // A password that cannot go on stdin as one line is refused before connecting.
    if (target.become?.password !== undefined) becomePasswordLine(target.become.password);
    const expectedFingerprint = fingerprintSha256(pinned.blob);
    const endpoint: SshEndpoint = { address: target.address, port: target.port };
    const timeoutMs = target.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const ip = await this.allowedAddress(endpoint);
    const client = new Client();

    let mismatch: HostKeyMismatchError | undefined;
    let authenticating = false;

    const config: ConnectConfig = {
      host: ip,
      port: target.port,
      username: target.username,
      readyTimeout: timeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 3,
      algorithms: algorithmsFor(hostKeyAlgorithmsFor(pinned.type)),
      hostVerifier: (presented: Buffer): boolean => {
        if (presented.equals(pinned.blob)) {
          authenticating = true;
          return true;
        }
        mismatch = new HostKeyMismatchError(endpoint, expectedFingerprint, fingerprintSha256(presented), describePresentedKey(presented));
        return false;
      },
    };

    if (isPrepared(target.privateKey)) {
      const method: PublicKeyAuthMethod = { type: 'publickey', username: target.username, key: target.privateKey.parsed };
      config.authHandler = [method];
    } else {
      config.privateKey = target.privateKey;
      config.passphrase = target.passphrase;
    }

    return new Promise<SshSession>((resolve, reject) => {
      let settled = false;
      // readyTimeout starts after the TCP connect; this one covers the whole way.
      const deadline = setTimeout(() => {
        fail(new SshConnectTimeoutError(endpoint, timeoutMs));
        client.destroy();
      }, timeoutMs + 1_000);

      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        reject(err);
      };

      client.once('ready', () => {
        if (settled) {
          client.end();
          return;
        }
        settled = true;
        clearTimeout(deadline);
        client.removeListener('error', onError);
        client.removeListener('close', onClose);
        resolve(new SshSession(client, endpoint, formatHostKey(pinned), expectedFingerprint, target.become));
      });

      const onError = (err: Error): void => {
        client.destroy();
        if (mismatch) return fail(mismatch);
        const level = levelOf(err);
        if (level === 'client-timeout') return fail(new SshConnectTimeoutError(endpoint, timeoutMs, { cause: err }));
        if (level === 'client-authentication') {
          return fail(new SshAuthError(endpoint, target.username, err.message, { cause: err }));
        }
        const stage = authenticating ? 'during authentication' : 'during connect';
        const reason = authenticating ? undefined : classifyConnectFailure({ code: (err as NodeJS.ErrnoException).code, level });
        fail(new SshConnectionError('network', endpoint, `${stage}: ${err.message}`, { cause: err, reason }));
      };
      const onClose = (): void => {
        fail(
          mismatch ??
            new SshConnectionError('network', endpoint, 'connection closed before it was ready', {
              reason: authenticating ? undefined : 'not_ssh',
            }),
        );
      };
      client.on('error', onError);
      client.once('close', onClose);

      try {
        client.connect(config);
        dropHostKeyAnnouncements(client);
        // Commands, gate answers and their results are small packets: Nagle's
        // algorithm would hold each one back until the previous is acknowledged.
        client.setNoDelay(true);
      } catch (err: unknown) {
        // ssh2 validates the private key synchronously.
        client.removeAllListeners();
        fail(new SshAuthError(endpoint, target.username, (err as Error).message, { cause: err }));
      }
    });
  }

  /**
   * Connects far enough to see the key the server presents and proves it holds
   * the private half (the key exchange signature), then disconnects without
   * authenticating. Returns `type base64`. For operator-approved trust only:
   * the result must never be trusted silently.
   */
  async fetchHostKey(address: string, port: number, timeoutMs: number = DEFAULT_CONNECT_TIMEOUT_MS): Promise<string> {
    const endpoint: SshEndpoint = { address, port };
    const ip = await this.allowedAddress(endpoint);
    const client = new Client();
    let presented: HostKey | undefined;
    let unreadable: Error | undefined;

    return new Promise<string>((resolve, reject) => {
      let settled = false;
      const settle = (outcome: { key: string } | { error: Error }): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        client.removeAllListeners('handshake');
        client.on('error', () => undefined); // late errors of a connection we are dropping
        client.destroy();
        if ('key' in outcome) resolve(outcome.key);
        else reject(outcome.error);
      };
      const deadline = setTimeout(() => settle({ error: new SshConnectTimeoutError(endpoint, timeoutMs) }), timeoutMs + 1_000);

      // 'handshake' fires after ssh2 checked the server's KEX signature with the key.
      client.once('handshake', () => {
        if (presented) settle({ key: formatHostKey(presented) });
        else
          settle({
            error: new SshConnectionError('network', endpoint, 'server presented no host key', { reason: 'not_ssh' }),
          });
      });
      client.on('error', (err: Error) => {
        if (unreadable) return settle({ error: unreadable });
        const level = levelOf(err);
        if (level === 'client-timeout') return settle({ error: new SshConnectTimeoutError(endpoint, timeoutMs, { cause: err }) });
        settle({
          error: new SshConnectionError('network', endpoint, `while fetching host key: ${err.message}`, {
            cause: err,
            reason: classifyConnectFailure({ code: (err as NodeJS.ErrnoException).code, level }),
          }),
        });
      });
      client.once('close', () =>
        settle({
          error: new SshConnectionError('network', endpoint, 'connection closed before the key exchange completed', { reason: 'not_ssh' }),
        }),
      );

      client.connect({
        host: ip,
        port,
        username: 'vulnzero-host-key-probe',
        readyTimeout: timeoutMs,
        algorithms: algorithmsFor(HOST_KEY_TYPES.flatMap(hostKeyAlgorithmsFor)),
        // No credentials at all: we disconnect at 'handshake', before authentication.
        authHandler: [],
        hostVerifier: (key: Buffer): boolean => {
          try {
            presented = hostKeyFromBlob(key);
            return true;
          } catch (err: unknown) {
            unreadable = new SshConnectionError('network', endpoint, `server presented an unusable host key: ${(err as Error).message}`);
            return false;
          }
        },
      });
    });
  }
}

function describePresentedKey(blob: Buffer): string {
  try {
    return formatHostKey(hostKeyFromBlob(blob));
  } catch {
    // An unsupported or malformed key is still worth showing to the operator.
    return blob.toString('base64');
  }
}
