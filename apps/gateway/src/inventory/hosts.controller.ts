import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor, RequestWithActor, RequirePermissions } from '@vulnzero/auth';
import { BadInputError } from '@vulnzero/http';
import { HostsService, HostView, Page, parseLabelFilters, toHostView } from '@vulnzero/inventory';
import { IdParam } from '../params/id-param';
import { BulkHostsDto, CreateHostDto, HostViewDto, ListHostsQueryDto, TrustHostKeyDto, UpdateHostDto } from './hosts.dto';

@ApiTags('hosts')
@ApiBearerAuth()
@Controller('hosts')
export class HostsController {
  constructor(private readonly hosts: HostsService) {}

  @Post()
  @RequirePermissions('hosts:write')
  @ApiOperation({ summary: 'Register a host; hostKey pins it, else it waits for an approved trust.' })
  @ApiOkResponse({ type: HostViewDto })
  async create(@Body() body: CreateHostDto, @CurrentActor() actor: Actor, @Req() req: RequestWithActor): Promise<HostView> {
    const host = await this.hosts.create(body, actor.name);
    req.auditResource = { type: 'host', id: host.id };
    return toHostView(host);
  }

  @Post('bulk')
  @RequirePermissions('hosts:write')
  @ApiOperation({
    summary: 'Register up to 1,000 hosts, all or nothing; a 400 names every bad item as hosts[i].field.',
  })
  async createMany(
    @Body() body: BulkHostsDto,
    @CurrentActor() actor: Actor,
    @Req() req: RequestWithActor,
  ): Promise<{ count: number; items: HostView[] }> {
    req.auditResource = { type: 'host' };
    const hosts = await this.hosts.createMany(body.hosts, actor.name);
    return { count: hosts.length, items: hosts.map(toHostView) };
  }

  @Get()
  @RequirePermissions('hosts:read')
  @ApiOperation({ summary: 'Hosts by name; every ?label=key=value must match.' })
  async list(@Query() query: ListHostsQueryDto): Promise<Page<HostView>> {
    const filters = parseLabelFilters(query.label);
    if (!filters.ok) throw new BadInputError(filters.errors);
    return this.hosts.list({ labels: filters.labels, cursor: query.cursor, limit: query.limit });
  }

  @Get(':id')
  @RequirePermissions('hosts:read')
  @ApiOkResponse({ type: HostViewDto })
  async get(@IdParam() id: string): Promise<HostView> {
    return toHostView(await this.hosts.get(id));
  }

  @Patch(':id')
  @RequirePermissions('hosts:write')
  @ApiOperation({ summary: 'Change a host. Moving it (address/port) unpins its key unless hostKey is sent too.' })
  @ApiOkResponse({ type: HostViewDto })
  async update(
    @IdParam() id: string,
    @Body() body: UpdateHostDto,
    @CurrentActor() actor: Actor,
    @Req() req: RequestWithActor,
  ): Promise<HostView> {
    req.auditResource = { type: 'host', id };
    return toHostView(await this.hosts.update(id, body, actor.name));
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('hosts:write')
  async remove(@IdParam() id: string, @Req() req: RequestWithActor): Promise<void> {
    req.auditResource = { type: 'host', id };
    await this.hosts.remove(id);
  }

  @Post(':id/host-key/trust')
  @HttpCode(200)
  @RequirePermissions('hosts:trust')
  @ApiOperation({
    summary: 'Connect once, pin the key the host presents and record who approved it.',
    description:
      'expectedFingerprint: pin only if it matches (409 otherwise, with both fingerprints). Replacing a different pinned key requires it. Unreachable: 502; no answer in time: 504.',
  })
  @ApiOkResponse({ type: HostViewDto })
  async trust(
    @IdParam() id: string,
    @Body() body: TrustHostKeyDto,
    @CurrentActor() actor: Actor,
    @Req() req: RequestWithActor,
  ): Promise<HostView> {
    req.auditResource = { type: 'host', id };
    return toHostView(await this.hosts.trustHostKey(id, { expectedFingerprint: body.expectedFingerprint }, actor.name));
  }
}
