import { Module } from '@nestjs/common';
import { AuthModule } from '@vulnzero/auth';
import { ApiKeysController } from '../api-keys/api-keys.controller';
import { UsersController } from '../users/users.controller';
import { AuthController } from './auth.controller';
import { RolesController } from './roles.controller';

/** HTTP face of identity and access: login, me, roles, users, API keys. */
@Module({
  imports: [AuthModule],
  controllers: [AuthController, RolesController, UsersController, ApiKeysController],
})
export class AccessHttpModule {}
