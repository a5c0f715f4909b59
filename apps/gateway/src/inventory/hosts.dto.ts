import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsOptional, IsString, Matches, ValidateIf } from 'class-validator';
import {
  addressProblem,
  hostKeyProblem,
  labelsProblems,
  MAX_BULK_HOSTS,
  MAX_LABELS,
  nameProblem,
  portProblem,
  uuidProblem,
  type Labels,
} from '@vulnzero/inventory';
import { PageQueryDto } from '../pagination/page-query.dto';
import { Satisfies } from './satisfies.decorator';

const LABELS_SCHEMA = {
  type: 'object',
  additionalProperties: { type: 'string', maxLength: 128 },
  maxProperties: MAX_LABELS,
  example: { role: 'web', env: 'prod' },
} as const;

export class CreateHostDto {
  @ApiProperty({ example: 'web-01', pattern: '^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$' })
  @Satisfies(nameProblem)
  name!: string;

  @ApiProperty({ example: '10.0.4.21', description: 'IPv4, IPv6 or DNS name (RFC 1123)' })
  @Satisfies(addressProblem)
  address!: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 65535, default: 22 })
  @IsOptional()
  @Satisfies(portProblem)
  port?: number;

  @ApiProperty({ format: 'uuid' })
  @Satisfies(uuidProblem)
  credentialId!: string;

  @ApiPropertyOptional(LABELS_SCHEMA)
  @IsOptional()
  @Satisfies(labelsProblems)
  labels?: Labels;

  @ApiPropertyOptional({
    example: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI…',
    description: 'OpenSSH public key line of the host: pins it. Without it the host waits for POST /hosts/:id/host-key/trust.',
  })
  @IsOptional()
  @Satisfies(hostKeyProblem)
  hostKey?: string;
}

/**
 * Items (and their count) are checked by the service, which names each bad one
 * as `hosts[i].field` — class-validator would say `hosts.3.address`.
 */
export class BulkHostsDto {
  @ApiProperty({ type: [CreateHostDto], minItems: 1, maxItems: MAX_BULK_HOSTS })
  @IsArray()
  hosts!: unknown[];
}

/**
 * Any subset of the fields. Labels replace the whole map. Changing address or
 * port unpins the host key unless `hostKey` is sent too; `hostKey: null` unpins.
 */
export class UpdateHostDto {
  @ApiPropertyOptional() @ValidateIf((o: UpdateHostDto) => o.name !== undefined) @Satisfies(nameProblem) name?: string;

  @ApiPropertyOptional()
  @ValidateIf((o: UpdateHostDto) => o.address !== undefined)
  @Satisfies(addressProblem)
  address?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 65535 })
  @ValidateIf((o: UpdateHostDto) => o.port !== undefined)
  @Satisfies(portProblem)
  port?: number;

  @ApiPropertyOptional({ format: 'uuid' })
  @ValidateIf((o: UpdateHostDto) => o.credentialId !== undefined)
  @Satisfies(uuidProblem)
  credentialId?: string;

  @ApiPropertyOptional(LABELS_SCHEMA)
  @ValidateIf((o: UpdateHostDto) => o.labels !== undefined)
  @Satisfies(labelsProblems)
  labels?: Labels;

  @ApiPropertyOptional({ nullable: true, description: 'A new pinned key, or null to unpin' })
  @ValidateIf((o: UpdateHostDto) => o.hostKey !== undefined && o.hostKey !== null)
  @Satisfies(hostKeyProblem)
  hostKey?: string | null;
}

export class TrustHostKeyDto {
  @ApiPropertyOptional({
    example: 'SHA256:O3gOzqxfv92KS4r3fxyWbdJWQ2kZeKJBKooyRG4rcM0',
    description: 'Pin only if the host presents this fingerprint (checked out of band). Required to replace a different pinned key.',
  })
  @IsOptional()
  @IsString()
  @Matches(/^SHA256:[A-Za-z0-9+/]{43}$/, { message: 'expectedFingerprint must look like SHA256:<43 base64 characters>' })
  expectedFingerprint?: string;
}

export class ListHostsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    type: [String],
    description: 'key=value; repeat for more (all must match): ?label=role=web&label=env=prod',
  })
  @IsOptional()
  // A single ?label= arrives as a string, a repeated one as an array.
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? [value] : value))
  @IsArray()
  @IsString({ each: true })
  @ArrayMaxSize(MAX_LABELS)
  label?: string[];
}

export class HostViewDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() address!: string;
  @ApiProperty() port!: number;
  @ApiProperty({ format: 'uuid' }) credentialId!: string;
  @ApiProperty(LABELS_SCHEMA) labels!: Labels;
  @ApiProperty({ nullable: true, type: String }) hostKey!: string | null;
  @ApiProperty({ nullable: true, type: String }) hostKeyFingerprint!: string | null;
  @ApiProperty({ enum: ['pinned', 'unpinned'] }) hostKeyStatus!: 'pinned' | 'unpinned';
  @ApiProperty({ nullable: true, type: String }) hostKeyTrustedBy!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) hostKeyTrustedAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}
