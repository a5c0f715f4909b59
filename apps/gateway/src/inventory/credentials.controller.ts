import { Body, Controller, Delete, Get, HttpCode, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequestWithActor, RequirePermissions } from '@vulnzero/auth';
import { CredentialsService, CredentialView, Page } from '@vulnzero/inventory';
import { PageQueryDto } from '../pagination/page-query.dto';
import { IdParam } from '../params/id-param';
import { CreateCredentialDto, CredentialViewDto } from './credentials.dto';

@ApiTags('credentials')
@ApiBearerAuth()
@Controller('credentials')
export class CredentialsController {
  constructor(private readonly credentials: CredentialsService) {}

  @Post()
  @RequirePermissions('credentials:write')
  @ApiOperation({ summary: 'Store an SSH login; the key is encrypted at rest and never returned.' })
  @ApiOkResponse({ type: CredentialViewDto })
  async create(@Body() body: CreateCredentialDto, @Req() req: RequestWithActor): Promise<CredentialView> {
    const credential = await this.credentials.create({
      name: body.name,
      username: body.username,
      privateKey: body.privateKey,
      ...(body.passphrase !== undefined ? { passphrase: body.passphrase } : {}),
      ...(body.become
        ? { become: { method: body.become.method, ...(body.become.password !== undefined ? { password: body.become.password } : {}) } }
        : {}),
    });
    req.auditResource = { type: 'credential', id: credential.id };
    return credential;
  }

  @Get()
  @RequirePermissions('credentials:read')
  @ApiOperation({ summary: 'Credentials by name (no secrets), cursor pagination.' })
  list(@Query() query: PageQueryDto): Promise<Page<CredentialView>> {
    return this.credentials.list({ cursor: query.cursor, limit: query.limit });
  }

  @Get(':id')
  @RequirePermissions('credentials:read')
  @ApiOkResponse({ type: CredentialViewDto })
  get(@IdParam() id: string): Promise<CredentialView> {
    return this.credentials.get(id);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('credentials:write')
  @ApiOperation({ summary: 'Delete a credential; 409 while hosts use it.' })
  async remove(@IdParam() id: string, @Req() req: RequestWithActor): Promise<void> {
    req.auditResource = { type: 'credential', id };
    await this.credentials.remove(id);
  }
}
