import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { nameProblem, passphraseProblem, privateKeyProblem, usernameProblem } from '@vulnzero/inventory';
import { Satisfies } from './satisfies.decorator';

export class CreateCredentialDto {
  @ApiProperty({ example: 'fleet-deploy', pattern: '^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$' })
  @Satisfies(nameProblem)
  name!: string;

  @ApiProperty({ example: 'deploy', description: 'Login name on the hosts' })
  @Satisfies(usernameProblem)
  username!: string;

  @ApiProperty({
    description: 'OpenSSH or PEM private key (Ed25519, ECDSA, RSA). Encrypted at rest, never returned.',
    writeOnly: true,
  })
  @Satisfies(privateKeyProblem)
  privateKey!: string;

  @ApiPropertyOptional({ description: 'Passphrase of an encrypted private key. Never returned.', writeOnly: true })
  @IsOptional()
  @Satisfies(passphraseProblem)
  passphrase?: string;
}

export class CredentialViewDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() username!: string;
  @ApiProperty({ example: 'SHA256:O3gOzqxfv92KS4r3fxyWbdJWQ2kZeKJBKooyRG4rcM0' }) publicKeyFingerprint!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}
