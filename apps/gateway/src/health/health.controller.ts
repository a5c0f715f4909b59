import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorResult, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import type Redis from 'ioredis';
import { REDIS_CLIENT } from '@vulnzero/queues';
import { NotRateLimited, Public } from '@vulnzero/auth';

@ApiTags('health')
@Public()
@NotRateLimited()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'The process is up (no dependency checked).' })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'PostgreSQL and Redis answer; 503 names the one that does not.' })
  async ready() {
    try {
      return await this.health.check([() => this.db.pingCheck('postgresql').withTimeout(2000), () => this.redisCheck()]);
    } catch (error) {
      const details = ((error as ServiceUnavailableException).getResponse?.() ?? {}) as {
        error?: Record<string, { status: string; message?: string }>;
        details?: Record<string, unknown>;
      };
      const down = Object.keys(details.error ?? {});
      throw new ServiceUnavailableException({
        message: `not ready: ${down.length ? down.join(', ') : 'a dependency'} down`,
        checks: details.details ?? {},
      });
    }
  }

  private redisCheck(): PromiseLike<HealthIndicatorResult<'redis'>> {
    return this.indicators
      .check('redis')
      .attempt(async () => {
        const answer = await this.redis.ping();
        if (answer !== 'PONG') throw new Error(`unexpected PING answer ${answer}`);
      })
      .withTimeout(2000);
  }
}
