import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDateString, IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { Role, ROLES } from '@vulnzero/auth';

export class CreateApiKeyDto {
  @ApiProperty()
  @IsString()
  @Matches(/^[a-zA-Z0-9 _.:-]{1,100}$/, { message: 'name must be 1-100 characters of letters, digits, space, _ . : -' })
  name!: string;

  @ApiProperty({ enum: ROLES }) @IsIn(ROLES) role!: Role;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsDateString({ strict: true }, { message: 'expiresAt must be an ISO 8601 date-time' })
  expiresAt?: string;
}
