import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * An SSH login. The private key, passphrase and sudo password exist here only
 * as AES-256-GCM ciphertexts (see SecretBox); `keyId` names the master key
 * that sealed them.
 */
@Entity('credentials')
export class CredentialEntity {
  // Chosen by the service before encryption: the id is bound into each ciphertext.
  @PrimaryColumn('uuid') id!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text' }) username!: string;
  /** `type base64` of the public half: not a secret, it is what goes in authorized_keys. */
  @Column({ name: 'public_key', type: 'text' }) publicKey!: string;
  @Column({ name: 'public_key_fingerprint', type: 'text' }) publicKeyFingerprint!: string;
  @Column({ name: 'key_id', type: 'text' }) keyId!: string;
  @Column({ name: 'private_key_ciphertext', type: 'bytea' }) privateKeyCiphertext!: Buffer;
  @Column({ name: 'private_key_iv', type: 'bytea' }) privateKeyIv!: Buffer;
  @Column({ name: 'private_key_tag', type: 'bytea' }) privateKeyTag!: Buffer;
  @Column({ name: 'passphrase_ciphertext', type: 'bytea', nullable: true }) passphraseCiphertext!: Buffer | null;
  @Column({ name: 'passphrase_iv', type: 'bytea', nullable: true }) passphraseIv!: Buffer | null;
  @Column({ name: 'passphrase_tag', type: 'bytea', nullable: true }) passphraseTag!: Buffer | null;
  /** `sudo` when the host's patch commands run as root through sudo; null: as the login user. */
  @Column({ name: 'become_method', type: 'text', nullable: true }) becomeMethod!: 'sudo' | null;
  @Column({ name: 'become_password_ciphertext', type: 'bytea', nullable: true }) becomePasswordCiphertext!: Buffer | null;
  @Column({ name: 'become_password_iv', type: 'bytea', nullable: true }) becomePasswordIv!: Buffer | null;
  @Column({ name: 'become_password_tag', type: 'bytea', nullable: true }) becomePasswordTag!: Buffer | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
