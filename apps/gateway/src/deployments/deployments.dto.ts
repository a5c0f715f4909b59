import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsObject, IsOptional, IsUUID, ValidateNested } from 'class-validator';

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
    description: 'canary (default: steps [1, "10%", "50%", "100%"]), rolling or all-at-once; see SPEC §4',
    example: { type: 'canary', steps: [1, '10%', '50%', '100%'], maxParallel: 20, maxFailures: 0, bakeSeconds: 30, pauseAfterStep: [], autoRollback: true },
  })
  @IsOptional()
  @IsObject()
  strategy?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'Return the plan (200) and change nothing: targets, steps, excluded hosts and why, commands, batches.' })
  @IsOptional()
  @IsBoolean({ message: 'dryRun must be true or false' })
  dryRun?: boolean;

  @ApiPropertyOptional({ description: 'With dryRun: connect and authenticate to each host (running nothing) and list the unreachable ones.' })
  @IsOptional()
  @IsBoolean({ message: 'checkReachability must be true or false' })
  checkReachability?: boolean;
}

export class RetryDeploymentDto {
  @ApiPropertyOptional({ description: 'Overrides the strategy of the deployment retried (default: the same one).' })
  @IsOptional()
  @IsObject()
  strategy?: Record<string, unknown>;
}
