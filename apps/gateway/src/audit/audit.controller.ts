import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequirePermissions } from '@vulnzero/auth';
import { AuditPage, AuditService, AuditVerification } from '@vulnzero/audit';
import { PageQueryDto } from '../pagination/page-query.dto';
import { AuditVerifyQueryDto } from './audit.dto';

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
  @ApiOperation({ summary: 'Re-computes the hash chain: {valid, checked, firstBrokenId?, head: {id, hash, count}, pinned?}.' })
  @ApiOkResponse({
    description:
      'firstBrokenId names the first row whose hash or link does not match. head is the newest row checked: pin its hash and count ' +
      'elsewhere; a later answer with a smaller count, or pinned.position null for the pinned hash, means rows were removed.',
  })
  verify(@Query() query: AuditVerifyQueryDto): Promise<AuditVerification> {
    return this.audit.verify({ pinnedHash: query.pinnedHash });
  }
}
