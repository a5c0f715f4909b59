import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import type Redis from 'ioredis';
import { AuditModule } from '@vulnzero/audit';
import { APP_CONFIG, AppConfig } from '@vulnzero/config';
import { REDIS_CLIENT } from '@vulnzero/queues';
import { AccessGuard } from './access.guard';
import { ActorCache } from './actor-cache';
import { ApiKeyEntity } from './api-key.entity';
import { ApiKeysService } from './api-keys.service';
import { AuthService } from './auth.service';
import { AbuseLimits } from './rate-limit/abuse-limits';
import { JwtAccessStrategy } from './jwt-access.strategy';
import { JwtAuthGuard } from './jwt-auth.guard';
import { PasswordHasher } from './password-hasher';
import { RateLimitGuard } from './rate-limit/rate-limit.guard';
import { rateLimits } from './rate-limit/rate-limits';
import { RedisThrottlerStorage } from './rate-limit/redis-throttler.storage';
import { UserEntity } from './user.entity';
import { UsersService } from './users.service';

/**
 * Identity and access for the gateway: users, API keys, tokens (signed with
 * @nestjs/jwt, verified by passport-jwt), the global access guard (runs
 * first) and the Redis-backed rate limits (run second, so they can count per
 * authenticated caller).
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([UserEntity, ApiKeyEntity]),
    AuditModule,
    JwtModule.register({}),
    PassportModule,
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG, REDIS_CLIENT],
      useFactory: (config: AppConfig, redis: Redis) => ({
        throttlers: rateLimits(config),
        storage: new RedisThrottlerStorage(redis),
      }),
    }),
  ],
  providers: [
    AbuseLimits,
    ActorCache,
    PasswordHasher,
    UsersService,
    ApiKeysService,
    AuthService,
    JwtAccessStrategy,
    JwtAuthGuard,
    { provide: APP_GUARD, useClass: AccessGuard },
    { provide: APP_GUARD, useClass: RateLimitGuard },
  ],
  exports: [UsersService, ApiKeysService, AuthService],
})
export class AuthModule {}
