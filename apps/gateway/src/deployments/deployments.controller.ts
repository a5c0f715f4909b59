import { Body, Controller, Get, Headers, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor, RequestWithActor, RequirePermissions } from '@vulnzero/auth';
import { DeploymentsService } from '@vulnzero/deployments';
import { BadInputError } from '@vulnzero/http';
import { IdParam } from '../params/id-param';
import { CreateDeploymentDto } from './deployments.dto';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;

@ApiTags('deployments')
@ApiBearerAuth()
@Controller('deployments')
export class DeploymentsController {
  constructor(private readonly deployments: DeploymentsService) {}

  @Post()
  @HttpCode(202)
  @RequirePermissions('deployments:write')
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Same key and body: the same deployment; same key, other body: 409' })
  @ApiOperation({ summary: 'Start a deployment of an approved patch; 202 with the task to follow.' })
  async create(
    @CurrentActor() actor: Actor,
    @Body() body: CreateDeploymentDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Req() req: RequestWithActor,
  ) {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new BadInputError('Idempotency-Key must be 1-128 characters of A-Z a-z 0-9 . _ : -', { field: 'Idempotency-Key' });
    }
    const accepted = await this.deployments.create(
      actor,
      { patchId: body.patchId, targets: { ...body.targets }, strategy: body.strategy },
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
}
