import { Body, Controller, Get, Headers, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor, RequestWithActor, RequirePermissions } from '@vulnzero/auth';
import { DeploymentsService } from '@vulnzero/deployments';
import { BadInputError } from '@vulnzero/http';
import { IdParam } from '../params/id-param';
import { CreateDeploymentDto, RetryDeploymentDto } from './deployments.dto';
import { HostOutputStream } from './host-output-stream';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;

@ApiTags('deployments')
@ApiBearerAuth()
@Controller('deployments')
export class DeploymentsController {
  constructor(
    private readonly deployments: DeploymentsService,
    private readonly hostOutputStream: HostOutputStream,
  ) {}

  @Post()
  @HttpCode(202)
  @RequirePermissions('deployments:write')
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Same key and body: the same deployment; same key, other body: 409' })
  @ApiOperation({
    summary: 'Start a deployment of an approved patch; 202 with the task to follow. With dryRun: 200 with the plan, nothing changed.',
  })
  async create(
    @CurrentActor() actor: Actor,
    @Body() body: CreateDeploymentDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Req() req: RequestWithActor,
    @Res({ passthrough: true }) res: { status(code: number): unknown },
  ) {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new BadInputError('Idempotency-Key must be 1-128 characters of A-Z a-z 0-9 . _ : -', { field: 'Idempotency-Key' });
    }
    if (body.checkReachability && !body.dryRun) {
      throw new BadInputError(['checkReachability: only with dryRun: true'], { field: 'checkReachability' });
    }
    if (body.dryRun) {
      // Audited as a plan, so the trail never shows a deployment that was not made.
      (req as RequestWithActor & { auditAction?: string }).auditAction = 'POST /deployments (dry run)';
      res.status(200);
      return this.deployments.plan(
        { patchId: body.patchId, targets: { ...body.targets }, strategy: body.strategy, window: body.window, notBefore: body.notBefore },
        { checkReachability: body.checkReachability ?? false },
      );
    }
    const accepted = await this.deployments.create(
      actor,
      {
        patchId: body.patchId,
        targets: { ...body.targets },
        strategy: body.strategy,
        ...(body.window !== undefined ? { window: body.window } : {}),
        ...(body.notBefore !== undefined ? { notBefore: body.notBefore } : {}),
      },
      idempotencyKey,
    );
    req.auditResource = { type: 'deployment', id: accepted.deploymentId };
    return accepted;
  }

  @Get(':id')
  @RequirePermissions('deployments:read')
  @ApiOperation({ summary: 'The deployment, its steps, and every target host with its record.' })
  get(@IdParam() id: string) {
    return this.deployments.get(id);
  }

  @Post(':id/promote')
  @HttpCode(200)
  @RequirePermissions('deployments:write')
  @ApiOperation({ summary: 'Continue a deployment paused at a gate.' })
  promote(@IdParam() id: string) {
    return this.deployments.promote(id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @RequirePermissions('deployments:write')
  @ApiOperation({ summary: 'Stop before the next batch; patched hosts stay as recorded.' })
  cancel(@IdParam() id: string) {
    return this.deployments.cancel(id);
  }

  @Post(':id/rollback')
  @HttpCode(202)
  @RequirePermissions('deployments:write')
  @ApiOperation({ summary: 'Roll back every host this deployment changed; 202 with the rollback task.' })
  rollback(@CurrentActor() actor: Actor, @IdParam() id: string) {
    return this.deployments.rollback(actor, id);
  }

  @Post(':id/retry')
  @HttpCode(202)
  @RequirePermissions('deployments:write')
  @ApiOperation({ summary: 'A new deployment of the same patch over the hosts that failed, were rolled back or never started; 202.' })
  async retry(@CurrentActor() actor: Actor, @IdParam() id: string, @Body() body: RetryDeploymentDto, @Req() req: RequestWithActor) {
    const accepted = await this.deployments.retry(actor, id, { strategy: body.strategy, window: body.window, notBefore: body.notBefore });
    req.auditResource = { type: 'deployment', id: accepted.deploymentId };
    return accepted;
  }

  @Get(':id/hosts/:hostId/output')
  @RequirePermissions('deployments:read')
  @ApiProduces('application/json', 'text/event-stream')
  @ApiQuery({ name: 'follow', required: false, description: 'true: Server-Sent Events of the live stdout/stderr until the host settles' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiQuery({ name: 'limit', required: false, description: 'commands per page, 1-100 (default 20)' })
  @ApiOperation({
    summary: "A host's recorded commands, each with its whole bounded output, paged; with follow=true, its live stdout/stderr as SSE.",
  })
  async hostOutput(
    @IdParam() id: string,
    @IdParam('hostId') hostId: string,
    @Query('follow') follow: string | undefined,
    @Query('cursor') cursor: string | undefined,
    @Query('limit') limit: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    if (follow !== undefined && follow !== 'true' && follow !== 'false') {
      throw new BadInputError(['follow: must be true or false'], { field: 'follow' });
    }
    if (follow === 'true') {
      await this.hostOutputStream.follow(id, hostId, req, res);
      return;
    }
    res.status(200).json(await this.deployments.hostOutputPage(id, hostId, { cursor, limit }));
  }
}
