import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsOptional, ValidateNested } from 'class-validator';
import {
  BECOME_METHODS,
  becomeMethodProblem,
  becomePasswordProblem,
  MAX_BECOME_PASSWORD_BYTES,
  nameProblem,
  passphraseProblem,
  privateKeyProblem,
  usernameProblem,
} from '@vulnzero/inventory';
import { Satisfies } from './satisfies.decorator';

export class CredentialBecomeDto {
  @ApiProperty({ enum: BECOME_METHODS, example: 'sudo', description: 'How commands become root: `sudo`.' })
  @Satisfies(becomeMethodProblem)
  method!: 'sudo';

  @ApiPropertyOptional({
    description:
      "The login user's sudo password; leave it out when sudoers grants NOPASSWD (then `sudo -n`, which never prompts). " +
      "Encrypted at rest, never returned; sent to the host on the SSH channel's stdin, never on a command line or in a log. " +
      `At most ${MAX_BECOME_PASSWORD_BYTES} bytes, no NUL, CR or LF.`,
    writeOnly: true,
    minLength: 1,
  })
  @IsOptional()
  @Satisfies(becomePasswordProblem)
  password?: string;
}

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

  @ApiPropertyOptional({
    type: CredentialBecomeDto,
    description:
      'Run the patch commands of hosts using this credential (capture, apply, verify, rollback, command health checks) as root through sudo. Scans stay unprivileged.',
  })
  @IsOptional()
  // An array passes here (each element is checked) and is refused by the service.
  @ValidateNested({ message: 'must be an object {"method": "sudo", "password"?}' })
  @Type(() => CredentialBecomeDto)
  become?: CredentialBecomeDto;
}

export class CredentialBecomeViewDto {
  @ApiProperty({ enum: BECOME_METHODS }) method!: 'sudo';
  @ApiProperty({ description: 'Whether a sudo password is stored (it is never returned).' }) password!: boolean;
}

export class CredentialViewDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() username!: string;
  @ApiProperty({ example: 'SHA256:O3gOzqxfv92KS4r3fxyWbdJWQ2kZeKJBKooyRG4rcM0' }) publicKeyFingerprint!: string;
  @ApiProperty({ type: CredentialBecomeViewDto, nullable: true, description: 'Null: commands run as the login user.' })
  become!: CredentialBecomeViewDto | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}
