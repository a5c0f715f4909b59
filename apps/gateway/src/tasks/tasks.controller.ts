import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { RequirePermissions } from '@vulnzero/auth';
import { TasksService, TaskViewCache } from '@vulnzero/tasks';
import { IdParam } from '../params/id-param';
import { TaskEventStream } from './task-event-stream';
import { TaskQueryDto } from './tasks.dto';

@ApiTags('tasks')
@ApiBearerAuth()
@RequirePermissions('tasks:read')
@Controller('tasks')
export class TasksController {
  constructor(
    private readonly tasks: TasksService,
    private readonly stream: TaskEventStream,
    private readonly views: TaskViewCache,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Tasks, newest first, by type and status, with cursor pagination.' })
  list(@Query() query: TaskQueryDto) {
    return this.tasks.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A task: status, progress, result, links.' })
  get(@IdParam() id: string) {
    return this.views.view(id);
  }

  @Get(':id/events')
  @ApiProduces('text/event-stream')
  @ApiOperation({ summary: 'Server-Sent Events: every transition of the task and its hosts, then the final state.' })
  async events(@IdParam() id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const task = await this.tasks.get(id);
    await this.stream.follow(task.id, req, res);
  }
}
