// The inventory services as the deploy engine and the worker use them, on real
// PostgreSQL and a real sshd fleet: target resolution, decryption of sealed
// credentials, and SSH targets that refuse unpinned hosts. Subnet 127.63.100
// belongs to this file (127.63.0.x to the inventory e2e suite).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Client } from 'pg';
import { ConfigModule, parseConfig } from '@vulnzero/config';
import { postgresOptions } from '@vulnzero/database';
import { HostClaimsModule } from '@vulnzero/deployments';
import { BadInputError } from '@vulnzero/http';
import {
  CredentialEntity,
  CredentialsService,
  CredentialUnavailableError,
  HostEntity,
  HostNotPinnedError,
  HostsService,
  InventoryModule,
} from '@vulnzero/inventory';
import { SshConnector } from '@vulnzero/ssh';
import { SshFleet } from '../fleet/fleet';
import { appEnv, randomSuffix } from '../harness/test-env';

jest.setTimeout(90_000);

const fleet = new SshFleet({ subnet: '127.63.100', namePrefix: 'inv-' });
const keysDir = mkdtempSync(join(tmpdir(), 'vz-inventory-int-'));
const PASSPHRASE = `Copper-Kettle-${randomSuffix()}-Harbor`;

async function startInventory(masterKey: Buffer): Promise<INestApplicationContext> {
  const config = { ...parseConfig(appEnv(), 'worker'), masterKey };
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(config),
      TypeOrmModule.forRoot({
        ...postgresOptions(config.databaseUrl, 'inventory-int'),
        entities: [CredentialEntity, HostEntity],
      }),
      InventoryModule,
      HostClaimsModule,
    ],
  }).compile();
  return moduleRef.init();
}

describe('inventory services on PostgreSQL and sshd', () => {
  let app: INestApplicationContext;
  let credentials: CredentialsService;
  let hosts: HostsService;
  let sql: Client;
  const run = `r${randomSuffix()}`;
  let plainId: string;
  let encryptedId: string;

  beforeAll(async () => {
    await fleet.start(3);
    app = await startInventory(Buffer.alloc(32, 7));
    credentials = app.get(CredentialsService);
    hosts = app.get(HostsService);
    sql = new Client({ connectionString: process.env.DATABASE_URL });
    await sql.connect();

    plainId = (await credentials.create({ name: `${run}-plain`, username: fleet.username, privateKey: fleet.privateKey })).id;
    // The same fleet key, encrypted with a passphrase (ssh-keygen -p).
    const encryptedPath = join(keysDir, 'fleet-encrypted');
    execFileSync('cp', [fleet.privateKeyPath, encryptedPath]);
    execFileSync('ssh-keygen', ['-q', '-p', '-P', '', '-N', PASSPHRASE, '-f', encryptedPath]);
    encryptedId = (
      await credentials.create({
        name: `${run}-encrypted`,
        username: fleet.username,
        privateKey: readFileSync(encryptedPath, 'utf8'),
        passphrase: PASSPHRASE,
      })
    ).id;

    await hosts.createMany(
      fleet.hosts.map((h, i) => ({
        name: `${run}-${['c', 'a', 'b'][i]}`,
        address: h.address,
        port: h.port,
        credentialId: i === 1 ? encryptedId : plainId,
        labels: { run, role: i === 2 ? 'db' : 'web' },
        ...(i < 2 ? { hostKey: h.hostKey } : {}),
      })),
      'int-test',
    );
  });

  afterAll(async () => {
    await sql?.end();
    await app?.close();
    await fleet.stop();
    rmSync(keysDir, { recursive: true, force: true });
  });

  describe('resolveTargets', () => {
    it('returns the hosts every label matches, ordered by name', async () => {
      expect((await hosts.resolveTargets({ labels: { run, role: 'web' } })).map((h) => h.name)).toEqual([`${run}-a`, `${run}-c`]);
      expect((await hosts.resolveTargets({ labels: { run } })).map((h) => h.name)).toEqual([`${run}-a`, `${run}-b`, `${run}-c`]);
      expect(await hosts.resolveTargets({ labels: { run, role: 'cache' } })).toEqual([]);
    });

    it('returns the hosts named by id, ordered by name, each once', async () => {
      const all = await hosts.resolveTargets({ labels: { run } });
      const ids = [all[2]!.id, all[0]!.id, all[2]!.id.toUpperCase()];
      expect((await hosts.resolveTargets({ hostIds: ids })).map((h) => h.name)).toEqual([`${run}-a`, `${run}-c`]);
    });

    it.each([
      [
        'unknown ids, naming them',
        { hostIds: ['00000000-0000-4000-8000-000000000001'] },
        /targets.hostIds: unknown host ids: 00000000-0000-4000-8000-000000000001/,
      ],
      ['ids that are not UUIDs', { hostIds: ['web-1'] }, /targets.hostIds: not UUIDs: "web-1"/],
      ['an empty id list', { hostIds: [] }, /targets.hostIds: must be a non-empty array/],
      ['no labels at all (never "the whole fleet")', { labels: {} }, /targets.labels: must name at least one label/],
      ['a bad label', { labels: { Role: 'web' } }, /targets.labels: key "Role"/],
      ['both ids and labels', { hostIds: [], labels: { run } }, /exactly one of hostIds or labels/],
      ['neither', {}, /exactly one of hostIds or labels/],
    ])('refuses %s with a 400', async (_what, targets, message) => {
      const attempt = hosts.resolveTargets(targets);
      await expect(attempt).rejects.toThrow(BadInputError);
      await expect(attempt).rejects.toThrow(message);
    });
  });

  describe('SSH targets for the worker', () => {
    it('decrypts the sealed key (and its passphrase) and opens a session with the pinned key', async () => {
      const targets = await hosts.resolveTargets({ labels: { run, role: 'web' } });
      const connector = app.get(SshConnector);
      for (const host of targets) {
        const target = await hosts.sshTargetFor(host);
        expect(target.passphrase).toBe(host.credentialId === encryptedId ? PASSPHRASE : undefined);
        const session = await connector.connect({ ...target, connectTimeoutMs: 10_000 });
        const result = await session.exec('echo "$VZ_HOST_NAME"', { timeoutMs: 10_000 });
        await session.close();
        expect(result.stdout.trim()).toBe(fleet.hosts.find((h) => h.address === host.address)?.name);
      }
    });

    it('gives the worker the exact key and passphrase it was given', async () => {
      expect(await credentials.decryptForUse(plainId)).toEqual({ username: fleet.username, privateKey: fleet.privateKey });
      expect((await credentials.decryptForUse(encryptedId)).passphrase).toBe(PASSPHRASE);
    });

    it('refuses to build a target for an unpinned host', async () => {
      const [unpinned] = await hosts.resolveTargets({ labels: { run, role: 'db' } });
      await expect(hosts.sshTargetFor(unpinned!)).rejects.toThrow(HostNotPinnedError);
      await expect(hosts.sshTargetFor(unpinned!)).rejects.toThrow(/has no pinned host key: an operator must trust it first/);
    });

    it('refuses a ciphertext moved to another credential, without any secret in the error', async () => {
      const other = await credentials.create({ name: `${run}-other`, username: 'x', privateKey: fleet.privateKey });
      await sql.query(
        `UPDATE credentials SET (private_key_ciphertext, private_key_iv, private_key_tag) =
           (SELECT private_key_ciphertext, private_key_iv, private_key_tag FROM credentials WHERE id = $1)
         WHERE id = $2`,
        [encryptedId, other.id],
      );
      const attempt = credentials.decryptForUse(other.id);
      await expect(attempt).rejects.toThrow(CredentialUnavailableError);
      await expect(attempt).rejects.toThrow(/failed authentication/);
    });

    it('names the master key a credential was sealed under when another one is configured', async () => {
      const rotated = await startInventory(Buffer.alloc(32, 8));
      try {
        const attempt = rotated.get(CredentialsService).decryptForUse(plainId);
        await expect(attempt).rejects.toThrow(CredentialUnavailableError);
        await expect(attempt).rejects.toThrow(/sealed under master key [0-9a-f]{8}, but the configured master key is [0-9a-f]{8}/);
      } finally {
        await rotated.close();
      }
    });
  });
});
