import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';

export class CreateMaintenanceWindowDto {
  @ApiProperty({ example: 'weeknights', description: '1-100 characters of A-Z a-z 0-9 . _ -; unique. Deployments name it in `window`.' })
  @IsString({ message: 'name must be a string' })
  name!: string;

  @ApiProperty({
    example: '0 22 * * 1-5',
    description:
      'When each opening starts: cron (minute hour day-of-month month day-of-week, with * lists ranges and steps), or six fields with seconds first.',
  })
  @IsString({ message: 'recurrence must be a string' })
  recurrence!: string;

  @ApiProperty({ example: '3h', description: 'How long each opening lasts: 90m, 2h, 1h30m, 45s; at most 7d.' })
  @IsString({ message: 'duration must be a string such as 90m or 2h' })
  duration!: string;

  @ApiProperty({ example: 'Europe/Berlin', description: 'IANA time zone the recurrence is read in (DST-aware).' })
  @IsString({ message: 'timezone must be a string' })
  timezone!: string;
}
