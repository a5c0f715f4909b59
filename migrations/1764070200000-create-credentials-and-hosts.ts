import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateCredentialsAndHosts1764070200000 implements MigrationInterface {
  name = 'CreateCredentialsAndHosts1764070200000';

  async up(q: QueryRunner): Promise<void> {
    // Names sort bytewise (COLLATE "C") so that keyset pages follow the index
    // exactly; uniqueness is case-insensitive so `Web-1` cannot shadow `web-1`.
    await q.query(`
      CREATE TABLE credentials (
        id uuid PRIMARY KEY,
        name text COLLATE "C" NOT NULL,
        username text NOT NULL,
        public_key text NOT NULL,
        public_key_fingerprint text NOT NULL,
        key_id text NOT NULL,
        private_key_ciphertext bytea NOT NULL,
        private_key_iv bytea NOT NULL CHECK (octet_length(private_key_iv) = 12),
        private_key_tag bytea NOT NULL CHECK (octet_length(private_key_tag) = 16),
        passphrase_ciphertext bytea,
        passphrase_iv bytea CHECK (octet_length(passphrase_iv) = 12),
        passphrase_tag bytea CHECK (octet_length(passphrase_tag) = 16),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((passphrase_ciphertext IS NULL) = (passphrase_iv IS NULL)
           AND (passphrase_iv IS NULL) = (passphrase_tag IS NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX credentials_name_key ON credentials (lower(name))`);
    await q.query(`CREATE INDEX credentials_name_idx ON credentials (name)`);

    await q.query(`
      CREATE TABLE hosts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text COLLATE "C" NOT NULL,
        address text NOT NULL,
        port integer NOT NULL DEFAULT 22 CHECK (port BETWEEN 1 AND 65535),
        credential_id uuid NOT NULL REFERENCES credentials(id) ON DELETE RESTRICT,
        labels jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(labels) = 'object'),
        host_key text,
        host_key_fingerprint text,
        host_key_trusted_by text,
        host_key_trusted_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((host_key IS NULL) = (host_key_fingerprint IS NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX hosts_name_key ON hosts (lower(name))`);
    await q.query(`CREATE INDEX hosts_name_idx ON hosts (name)`);
    // jsonb_path_ops: smaller and faster than the default opclass for `labels @> …`, the only operator used.
    await q.query(`CREATE INDEX hosts_labels_idx ON hosts USING gin (labels jsonb_path_ops)`);
    await q.query(`CREATE INDEX hosts_credential_idx ON hosts (credential_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE hosts`);
    await q.query(`DROP TABLE credentials`);
  }
}
