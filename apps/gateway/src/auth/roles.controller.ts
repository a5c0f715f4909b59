import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AnyAuthenticated, ROLE_PERMISSIONS, ROLES } from '@vulnzero/auth';

@ApiTags('auth')
@ApiBearerAuth()
@Controller('roles')
export class RolesController {
  @Get()
  @AnyAuthenticated()
  @ApiOperation({ summary: 'The roles and the permissions each grants.' })
  list() {
    return { items: ROLES.map((role) => ({ role, permissions: ROLE_PERMISSIONS[role] })) };
  }
}
