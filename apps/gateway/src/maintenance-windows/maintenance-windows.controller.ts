import { Body, Controller, Delete, Get, HttpCode, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor, RequestWithActor, RequirePermissions } from '@vulnzero/auth';
import { Page } from '@vulnzero/database';
import { MaintenanceWindowsService, MaintenanceWindowView } from '@vulnzero/deployments';
import { PageQueryDto } from '../pagination/page-query.dto';
import { IdParam } from '../params/id-param';
import { CreateMaintenanceWindowDto } from './maintenance-windows.dto';

@ApiTags('maintenance-windows')
@ApiBearerAuth()
@Controller('maintenance-windows')
export class MaintenanceWindowsController {
  constructor(private readonly windows: MaintenanceWindowsService) {}

  @Post()
  @RequirePermissions('maintenance-windows:write')
  @ApiOperation({
    summary: 'A named, reusable window: a cron-like recurrence and a duration in a time zone; 201 with whether it is open now.',
  })
  async create(
    @CurrentActor() actor: Actor,
    @Body() body: CreateMaintenanceWindowDto,
    @Req() req: RequestWithActor,
  ): Promise<MaintenanceWindowView> {
    const window = await this.windows.create(actor, body);
    req.auditResource = { type: 'maintenance-window', id: window.id };
    return window;
  }

  @Get()
  @RequirePermissions('deployments:read')
  @ApiOperation({ summary: 'Named windows, newest first, each with whether it is open now: {items, nextCursor}.' })
  list(@Query() query: PageQueryDto): Promise<Page<MaintenanceWindowView>> {
    return this.windows.list({ cursor: query.cursor, limit: query.limit });
  }

  @Get(':id')
  @RequirePermissions('deployments:read')
  @ApiOperation({ summary: 'One named window, with when it next opens or closes.' })
  get(@IdParam() id: string): Promise<MaintenanceWindowView> {
    return this.windows.get(id);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('maintenance-windows:write')
  @ApiOperation({ summary: 'Delete a named window; 409 while a deployment that has not ended uses it.' })
  async remove(@IdParam() id: string, @Req() req: RequestWithActor): Promise<void> {
    req.auditResource = { type: 'maintenance-window', id };
    await this.windows.remove(id);
  }
}
