import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { TASK_STATUSES, TASK_TYPES, TaskStatus, TaskType } from '@vulnzero/tasks';
import { PageQueryDto } from '../pagination/page-query.dto';

export class TaskQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: TASK_TYPES }) @IsOptional() @IsIn(TASK_TYPES) type?: TaskType;
  @ApiPropertyOptional({ enum: TASK_STATUSES }) @IsOptional() @IsIn(TASK_STATUSES) status?: TaskStatus;
}
