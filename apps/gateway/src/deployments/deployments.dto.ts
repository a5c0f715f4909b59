import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  Allow,
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  ValidateNested,
} from 'class-validator';

const WINDOW_HELP =
  'No host starts outside it; a step in flight when it closes finishes its running hosts, then the deployment pauses (reason window_closed) and resumes at the next opening. ' +
  'One-off {start, end, timezone} (wall-clock YYYY-MM-DDTHH:mm[:ss] in an IANA zone), recurring {recurrence (cron, 5 fields or 6 with seconds first), duration (90m, 2h, 1h30m), timezone}, or the name or id of a named window (POST /maintenance-windows).';
const NOT_BEFORE_HELP =
  'No host starts before this ISO 8601 instant (with its offset); until then the deployment is paused (reason not_before).';
const WINDOW_EXAMPLE = { start: '2026-12-01T22:00', end: '2026-12-02T02:00', timezone: 'Europe/Berlin' };

export class TargetsDto {
  @ApiPropertyOptional({ type: [String], format: 'uuid' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10_000)
  @IsUUID('all', { each: true, message: 'each value in hostIds must be a UUID' })
  hostIds?: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, example: { role: 'web' } })
  @IsOptional()
  @IsObject()
  labels?: Record<string, string>;
}

export class CreateDeploymentDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID('all', { message: 'patchId must be a UUID' }) patchId!: string;

  @ApiProperty({ type: TargetsDto })
  @ValidateNested()
  @Type(() => TargetsDto)
  targets!: TargetsDto;

  @ApiPropertyOptional({
    description: 'canary (default: steps [1, "10%", "50%", "100%"]), rolling or all-at-once; see docs/api.md#deployments',
    example: {
      type: 'canary',
      steps: [1, '10%', '50%', '100%'],
      maxParallel: 20,
      maxFailures: 0,
      bakeSeconds: 30,
      pauseAfterStep: [],
      autoRollback: true,
    },
  })
  @IsOptional()
  @IsObject()
  strategy?: Record<string, unknown>;

  @ApiPropertyOptional({
    description: 'Maintenance window. ' + WINDOW_HELP,
    oneOf: [{ type: 'object' }, { type: 'string' }],
    example: WINDOW_EXAMPLE,
  })
  @Allow()
  window?: unknown;

  @ApiPropertyOptional({ description: NOT_BEFORE_HELP, example: '2026-12-01T22:00:00Z' })
  @IsOptional()
  @IsString({ message: 'notBefore must be an ISO 8601 instant with its offset' })
  notBefore?: string;

  @ApiPropertyOptional({
    description: 'Return the plan (200) and change nothing: targets, steps, excluded hosts and why, commands, batches.',
  })
  @IsOptional()
  @IsBoolean({ message: 'dryRun must be true or false' })
  dryRun?: boolean;

  @ApiPropertyOptional({
    description: 'With dryRun: connect and authenticate to each host (running nothing) and list the unreachable ones.',
  })
  @IsOptional()
  @IsBoolean({ message: 'checkReachability must be true or false' })
  checkReachability?: boolean;
}

export class RetryDeploymentDto {
  @ApiPropertyOptional({ description: 'Overrides the strategy of the deployment retried (default: the same one).' })
  @IsOptional()
  @IsObject()
  strategy?: Record<string, unknown>;

  @ApiPropertyOptional({
    description:
      'Overrides the window (default: the same named or recurring window; a one-off window is not carried over; null: none). ' +
      WINDOW_HELP,
    oneOf: [{ type: 'object' }, { type: 'string' }],
    example: WINDOW_EXAMPLE,
  })
  @Allow()
  window?: unknown;

  @ApiPropertyOptional({ description: 'Overrides notBefore (default: none). ' + NOT_BEFORE_HELP, example: '2026-12-01T22:00:00Z' })
  @IsOptional()
  @IsString({ message: 'notBefore must be an ISO 8601 instant with its offset' })
  notBefore?: string;
}
