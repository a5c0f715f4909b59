import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { Role, ROLES } from '@vulnzero/auth';

export class CreateUserDto {
  @ApiProperty({ pattern: '^[a-zA-Z0-9_.-]{3,64}$' })
  @IsString()
  @Matches(/^[a-zA-Z0-9_.-]{3,64}$/, { message: 'username must be 3-64 characters of a-z, A-Z, 0-9, _ . -' })
  username!: string;

  @ApiProperty({ minLength: 12 }) @IsString() @MaxLength(256) password!: string;

  @ApiProperty({ enum: ROLES }) @IsIn(ROLES) role!: Role;
}

export class UpdateUserDto {
  @ApiPropertyOptional({ enum: ROLES }) @IsOptional() @IsIn(ROLES) role?: Role;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() disabled?: boolean;
  @ApiPropertyOptional({ minLength: 12 }) @IsOptional() @IsString() @MaxLength(256) password?: string;
}
