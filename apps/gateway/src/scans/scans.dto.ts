import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, IsUUID, Matches, ValidateNested } from 'class-validator';
import { SEVERITIES, type Severity } from '@vulnzero/scans';
import { PageQueryDto } from '../pagination/page-query.dto';
import { TargetsDto } from '../deployments/deployments.dto';

export class CreateScanDto {
  @ApiProperty({ type: TargetsDto, description: 'exactly one of hostIds or labels (all must match)', example: { labels: { role: 'web' } } })
  @ValidateNested()
  @Type(() => TargetsDto)
  targets!: TargetsDto;
}

export class ListFindingsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: `one or more of ${SEVERITIES.join(', ')}, comma-separated`, example: 'critical,high' })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.split(',').map((s) => s.trim().toLowerCase()) : value))
  @IsArray({ message: 'severity must be a comma-separated list' })
  @ArrayMaxSize(SEVERITIES.length)
  @IsIn(SEVERITIES, { each: true, message: `severity must be one or more of ${SEVERITIES.join(', ')}` })
  severity?: Severity[];

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'hostId must be a UUID' })
  hostId?: string;

  @ApiPropertyOptional({ enum: ['open', 'resolved'] })
  @IsOptional()
  @IsIn(['open', 'resolved'], { message: 'status must be open or resolved' })
  status?: 'open' | 'resolved';

  @ApiPropertyOptional({ description: 'installed package name', example: 'openssl' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9+.-]{0,255}$/, { message: 'package must be a Debian package name' })
  package?: string;

  @ApiPropertyOptional({ description: 'advisory id or alias', example: 'CVE-2026-10001' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._:+-]{0,199}$/, { message: 'advisoryId must be an advisory id such as DSA-5678-1 or CVE-2026-10001' })
  advisoryId?: string;
}
