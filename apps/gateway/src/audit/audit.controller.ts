import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequirePermissions } from '@vulnzero/auth';
import { AuditPage, AuditService, ChainVerification } from '@vulnzero/audit';
import { PageQueryDto } from '../pagination/page-query.dto';

@ApiTags('audit')
@ApiBearerAuth()
@RequirePermissions('audit:read')
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({ summary: 'The audit trail, newest first: {items, nextCursor}.' })
  list(@Query() query: PageQueryDto): Promise<AuditPage> {
    return this.audit.list({ cursor: query.cursor, limit: query.limit });
  }

  @Get('verify')
  @ApiOperation({ summary: 'Re-computes the hash chain: {valid, checked, firstBrokenId?}.' })
  @ApiOkResponse({ description: 'firstBrokenId names the first row whose hash or link does not match.' })
  verify(): Promise<ChainVerification> {
    return this.audit.verify();
  }
}
