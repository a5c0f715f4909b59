import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';

export class AuditVerifyQueryDto {
  @ApiPropertyOptional({
    description: 'A head hash pinned earlier: the answer says at which position it is now (null: rows were cut off).',
  })
  @IsOptional()
  @Matches(/^[0-9a-f]{64}$/, { message: 'pinnedHash must be 64 lower-case hex digits' })
  pinnedHash?: string;
}
