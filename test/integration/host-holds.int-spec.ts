// Which deployments hold a host, on real PostgreSQL: the inventory's services
// with the deployments' HostClaims behind their HostHolds port. No sshd: the
// refusals come before any connection.
import { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ConfigModule, parseConfig } from '@vulnzero/config';
import { postgresOptions } from '@vulnzero/database';
import { DEPLOYMENT_STATUSES, DeploymentStatus, HostClaimsModule, isTerminal } from '@vulnzero/deployments';
import { CredentialEntity, CredentialsService, HostEntity, HostHeldError, HostsService, InventoryModule } from '@vulnzero/inventory';
import { appEnv, randomSuffix } from '../harness/test-env';

jest.setTimeout(60_000);

describe('host holds: a deployment that has not ended holds its hosts and their credentials', () => {
  let app: INestApplicationContext;
  let hosts: HostsService;
  let credentials: CredentialsService;
  let sql: Client;
  const run = `r${randomSuffix()}`;
  const keyDir = mkdtempSync(join(tmpdir(), 'vz-host-holds-'));
  let privateKey: string;

  beforeAll(async () => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keyDir, 'id')]);
    privateKey = readFileSync(join(keyDir, 'id'), 'utf8');
    const config = parseConfig(appEnv(), 'worker');
    const moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot(config),
        TypeOrmModule.forRoot({ ...postgresOptions(config.databaseUrl, 'host-holds-int'), entities: [CredentialEntity, HostEntity] }),
        InventoryModule,
        HostClaimsModule,
      ],
    }).compile();
    app = await moduleRef.init();
    hosts = app.get(HostsService);
    credentials = app.get(CredentialsService);
    sql = new Client({ connectionString: process.env.DATABASE_URL });
    await sql.connect();
  });

  afterAll(async () => {
    await sql?.end();
    await app?.close();
    rmSync(keyDir, { recursive: true, force: true });
  });

  /** A host and its own credential, claimed by a deployment in `status` that pinned both. */
  async function heldHost(status: DeploymentStatus) {
    const credential = await credentials.create({ name: `${run}-${status}-key`, username: 'vz', privateKey });
    const host = await hosts.create(
      { name: `${run}-${status}`, address: '127.84.200.1', port: 22, credentialId: credential.id },
      'int-test',
    );
    const deploymentId = randomUUID();
    await sql.query(
      `INSERT INTO deployments (id, patch_id, status, strategy, targets, request_hash, created_by) VALUES ($1, $2, $3, '{}', '{}', 'h', 'int-test')`,
      [deploymentId, randomUUID(), status],
    );
    await sql.query(
      `INSERT INTO deployment_hosts (deployment_id, host_id, position, host_name, address, resolved_address, port, credential_id, step)
       VALUES ($1, $2, 0, $3, $4, $4, 22, $5, 0)`,
      [deploymentId, host.id, host.name, host.address, credential.id],
    );
    await sql.query(`INSERT INTO deployment_host_claims (host_id, deployment_id) VALUES ($1, $2)`, [host.id, deploymentId]);
    return { host, credential, deploymentId };
  }

  it.each(DEPLOYMENT_STATUSES.map((status) => ({ status, held: !isTerminal(status) })))(
    'a claim by a $status deployment holds the host: $held',
    async ({ status, held }) => {
      const { host, credential, deploymentId } = await heldHost(status);
      const move = hosts.update(host.id, { address: '127.84.200.2' }, 'int-test');
      if (held) {
        await expect(move).rejects.toThrow(HostHeldError);
        await expect(move).rejects.toThrow(deploymentId);
        await expect(hosts.remove(host.id)).rejects.toThrow(deploymentId);
        await expect(credentials.remove(credential.id)).rejects.toThrow(deploymentId);
        // The host is as it was; what does not touch the connection still changes.
        expect((await hosts.get(host.id)).address).toBe('127.84.200.1');
        expect((await hosts.update(host.id, { labels: { note: 'ok' } }, 'int-test')).labels).toEqual({ note: 'ok' });
      } else {
        // A claim left behind by a deployment that ended holds nothing.
        expect((await move).address).toBe('127.84.200.2');
        await hosts.remove(host.id);
        await credentials.remove(credential.id);
      }
    },
  );
});
