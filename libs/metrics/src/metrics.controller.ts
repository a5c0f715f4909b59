import { Controller, Get, Headers, Inject, NotFoundException, Res, UnauthorizedException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { Response } from 'express';
import { APP_CONFIG, AppConfig } from '@vulnzero/config';
import { Public } from '@vulnzero/auth';
import { checkScrapeToken } from './core/scrape-token';

/**
 * GET /metrics on the gateway, for Prometheus. Public to the JWT guard (a
 * scraper holds no user token) but behind its own bearer token, METRICS_TOKEN;
 * without one configured the route answers 404 like a route that does not
 * exist. Not part of the API, so not in the OpenAPI document.
 */
@ApiExcludeController()
@Public()
@Controller()
export class MetricsController extends PrometheusController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  @Get()
  override async index(@Res({ passthrough: true }) response: Response, @Headers('authorization') authorization?: string): Promise<string> {
    const verdict = checkScrapeToken(this.config.metricsToken, authorization);
    if (verdict === 'disabled') throw new NotFoundException('Cannot GET /metrics');
    if (verdict !== 'ok') {
      response.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      throw new UnauthorizedException(
        verdict === 'missing'
          ? 'a metrics scrape token is required: Authorization: Bearer <METRICS_TOKEN>'
          : 'the metrics scrape token is not valid',
      );
    }
    response.setHeader('Cache-Control', 'no-store');
    return super.index(response);
  }
}
