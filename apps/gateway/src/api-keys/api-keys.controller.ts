import { Body, Controller, Delete, Get, HttpCode, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, ApiKeysService, CurrentActor, RequestWithActor, RequirePermissions, toApiKeyView } from '@vulnzero/auth';
import { PageQueryDto } from '../pagination/page-query.dto';
import { IdParam } from '../params/id-param';
import { CreateApiKeyDto } from './api-keys.dto';

@ApiTags('api-keys')
@ApiBearerAuth()
@RequirePermissions('api-keys:manage-own')
@Controller('api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  @ApiOperation({ summary: 'Create an API key; the key is in this response only.' })
  async create(@CurrentActor() actor: Actor, @Body() body: CreateApiKeyDto, @Req() req: RequestWithActor) {
    const { entity, key } = await this.apiKeys.create(actor, {
      name: body.name,
      role: body.role,
      expiresAt: body.expiresAt ? new Date(body.expiresAt) : undefined,
    });
    req.auditResource = { type: 'api-key', id: entity.id };
    return { ...toApiKeyView(entity), key };
  }

  @Get()
  @ApiOperation({ summary: 'Your keys (admins: all keys); never the secrets.' })
  async list(@CurrentActor() actor: Actor, @Query() query: PageQueryDto) {
    const page = await this.apiKeys.list(actor, query);
    return { items: page.items.map(toApiKeyView), nextCursor: page.nextCursor };
  }

  @Delete(':id')
  @HttpCode(204)
  async revoke(@CurrentActor() actor: Actor, @IdParam() id: string): Promise<void> {
    await this.apiKeys.revoke(actor, id);
  }
}
