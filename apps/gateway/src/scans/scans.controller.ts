import { Body, Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { Actor, CurrentActor, RateLimited, RequestWithActor, RequirePermissions } from '@vulnzero/auth';
import { DomainError } from '@vulnzero/http';
import { AdvisoriesService, FindingsService, ScansService } from '@vulnzero/scans';
import { IdParam } from '../params/id-param';
import { ADVISORY_IMPORT_MAX_BYTES, StreamedBodyRequest } from './advisory-import-body';
import { CreateScanDto, ListFindingsQueryDto } from './scans.dto';

const IMPORT_TYPES = /^(application\/(json|x-ndjson|ndjson|jsonl|x-jsonlines|jsonlines)|text\/plain)(;|$)/i;

@ApiTags('scans')
@ApiBearerAuth()
@Controller('scans')
export class ScansController {
  constructor(private readonly scans: ScansService) {}

  @Post()
  @HttpCode(202)
  @RateLimited('scan')
  @RequirePermissions('scans:run')
  @ApiOperation({ summary: 'Scan hosts over SSH: OS, installed packages, findings; 202 with the task to follow.' })
  @ApiAcceptedResponse({ description: '{scanId, taskId, statusUrl}' })
  @ApiTooManyRequestsResponse({ description: 'More scans this minute than SCAN_RATE_LIMIT_PER_MINUTE allows.' })
  async create(@CurrentActor() actor: Actor, @Body() body: CreateScanDto, @Req() req: RequestWithActor) {
    const accepted = await this.scans.create(actor, { ...body.targets });
    req.auditResource = { type: 'scan', id: accepted.scanId };
    return accepted;
  }

  @Get(':id')
  @RequirePermissions('scans:read')
  @ApiOperation({
    summary: 'The scan with every host: status or failure reason, OS, package count, upgradable packages, findings by severity.',
  })
  get(@IdParam() id: string) {
    return this.scans.get(id);
  }
}

@ApiTags('scans')
@ApiBearerAuth()
@Controller('findings')
export class FindingsController {
  constructor(private readonly findings: FindingsService) {}

  @Get()
  @RequirePermissions('findings:read')
  @ApiOperation({ summary: 'Findings (host × package × advisory), newest first: {items, nextCursor}.' })
  list(@Query() query: ListFindingsQueryDto) {
    return this.findings.list({
      severity: query.severity,
      hostId: query.hostId?.toLowerCase(),
      status: query.status,
      package: query.package,
      advisoryId: query.advisoryId,
      cursor: query.cursor,
      limit: query.limit,
    });
  }

  @Get(':id')
  @RequirePermissions('findings:read')
  get(@IdParam() id: string) {
    return this.findings.get(id);
  }

  @Post(':id/patch')
  @RequirePermissions('findings:read', 'patches:write')
  @ApiOperation({
    summary:
      'Generate a draft apt patch installing the fixed version (approve it, then deploy). Findings of one package and fixed version share one patch: 201 when created, 200 with the existing one.',
  })
  async patch(
    @CurrentActor() actor: Actor,
    @IdParam() id: string,
    @Req() req: RequestWithActor,
    @Res({ passthrough: true }) res: Response,
  ) {
    const result = await this.findings.patchFor(actor, id);
    req.auditResource = { type: 'patch', id: result.patch.id };
    res.status(result.created ? 201 : 200);
    return result;
  }
}

@ApiTags('scans')
@ApiBearerAuth()
@Controller('advisories')
export class AdvisoriesController {
  constructor(private readonly advisories: AdvisoriesService) {}

  @Post('import')
  @HttpCode(200)
  @RequirePermissions('advisories:import')
  @ApiOperation({
    summary:
      'Import OSV advisories: one object, a JSON array, or newline-delimited JSON (any size up to 512 MiB, read as a stream). Idempotent by id + modified; all or nothing; other ecosystems than Debian are skipped and counted.',
  })
  @ApiConsumes('application/json', 'application/x-ndjson')
  @ApiBody({ schema: { oneOf: [{ type: 'object' }, { type: 'array', items: { type: 'object' } }] } })
  @ApiOkResponse({ description: '{received, imported, updated, unchanged, skipped: {records, ecosystems}}' })
  @ApiBadRequestResponse({
    description:
      'Malformed records, each named by index and field, e.g. "[3].affected[0].ranges[0].events: must be a non-empty array". Nothing is imported.',
  })
  async import(@Req() req: StreamedBodyRequest & RequestWithActor) {
    req.auditResource = { type: 'advisories' };
    const contentType = req.streamedContentType ?? req.headers['content-type'] ?? '';
    if (!IMPORT_TYPES.test(contentType)) {
      req.resume();
      throw new DomainError(415, 'Content-Type must be application/json or application/x-ndjson', { field: 'Content-Type' });
    }
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding !== 'identity') {
      req.resume();
      throw new DomainError(415, `Content-Encoding ${encoding} is not supported: send the body uncompressed`, {
        field: 'Content-Encoding',
      });
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > ADVISORY_IMPORT_MAX_BYTES) {
      req.resume();
      throw new DomainError(
        413,
        `the advisory import body is larger than ${ADVISORY_IMPORT_MAX_BYTES} bytes: split it into several imports`,
      );
    }
    try {
      // destroyOnReturn: false, so that stopping early (a bad record) still lets the 400 reach the client.
      return await this.advisories.import(req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>, {
        maxBytes: ADVISORY_IMPORT_MAX_BYTES,
      });
    } finally {
      if (!req.readableEnded) req.resume();
    }
  }
}
