import { Body, Controller, Get, HttpCode, Post, Query, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Actor, CurrentActor, RequestWithActor, RequirePermissions } from '@vulnzero/auth';
import { Page } from '@vulnzero/database';
import { PatchesService, PatchView } from '@vulnzero/patches';
import { IdParam } from '../params/id-param';
import { CreatePatchDto, ListPatchesQueryDto, PACKAGE_PATCH_EXAMPLE, PATCH_EXAMPLE } from './patches.dto';

@ApiTags('patches')
@ApiBearerAuth()
@Controller('patches')
export class PatchesController {
  constructor(private readonly patches: PatchesService) {}

  @Post()
  @RequirePermissions('patches:write')
  @ApiOperation({ summary: 'Create a draft patch (docs/api.md#patches): commands, or an apt package to generate them from.' })
  @ApiBody({
    type: CreatePatchDto,
    examples: {
      commands: { summary: 'capture, apply, rollback, verify, health checks', value: PATCH_EXAMPLE },
      package: { summary: 'apt package shorthand', value: PACKAGE_PATCH_EXAMPLE },
    },
  })
  @ApiCreatedResponse({ description: 'The draft, with defaults filled in (and generated commands for a package).' })
  @ApiBadRequestResponse({ description: 'Every bad field named by its path, e.g. "healthChecks[1].port: …".' })
  async create(@CurrentActor() actor: Actor, @Body() body: CreatePatchDto, @Req() req: RequestWithActor): Promise<PatchView> {
    const patch = await this.patches.create(actor, body);
    req.auditResource = { type: 'patch', id: patch.id };
    return patch;
  }

  @Get()
  @RequirePermissions('patches:read')
  @ApiOperation({ summary: 'Patches, newest first: {items, nextCursor}.' })
  list(@Query() query: ListPatchesQueryDto): Promise<Page<PatchView>> {
    return this.patches.list({ cursor: query.cursor, limit: query.limit, status: query.status });
  }

  @Get(':id')
  @RequirePermissions('patches:read')
  get(@IdParam() id: string): Promise<PatchView> {
    return this.patches.get(id);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @RequirePermissions('patches:approve')
  @ApiOperation({ summary: 'Approve a draft: only approved patches deploy, and an approved patch never changes.' })
  @ApiOkResponse({ description: 'The approved patch, with approvedBy and approvedAt.' })
  @ApiConflictResponse({ description: 'The patch is already approved.' })
  async approve(@CurrentActor() actor: Actor, @IdParam() id: string, @Req() req: RequestWithActor): Promise<PatchView> {
    req.auditResource = { type: 'patch', id };
    return this.patches.approve(actor, id);
  }
}
