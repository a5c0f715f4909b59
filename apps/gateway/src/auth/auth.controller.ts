import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, AnyAuthenticated, AuthService, CurrentActor, Public, RateLimited, ROLE_PERMISSIONS } from '@vulnzero/auth';
import { LoginDto } from './auth.dto';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @Public()
  @RateLimited('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange username and password for an access token (rate limited).' })
  login(@Body() body: LoginDto, @Req() req: Request) {
    return this.auth.login(body.username, body.password, req.ip);
  }

  @Get('me')
  @AnyAuthenticated()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The caller, its role and permissions.' })
  me(@CurrentActor() actor: Actor) {
    return {
      id: actor.userId,
      name: actor.name,
      kind: actor.kind,
      apiKeyId: actor.apiKeyId ?? null,
      role: actor.role,
      permissions: ROLE_PERMISSIONS[actor.role],
    };
  }
}
