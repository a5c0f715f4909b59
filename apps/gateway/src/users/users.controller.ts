import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequestWithActor, RequirePermissions, toUserView, UsersService } from '@vulnzero/auth';
import { PageQueryDto } from '../pagination/page-query.dto';
import { IdParam } from '../params/id-param';
import { CreateUserDto, UpdateUserDto } from './users.dto';

@ApiTags('users')
@ApiBearerAuth()
@RequirePermissions('users:manage')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @ApiOperation({ summary: 'Create a user (password policy applies).' })
  async create(@Body() body: CreateUserDto, @Req() req: RequestWithActor) {
    const user = await this.users.create(body);
    req.auditResource = { type: 'user', id: user.id };
    return toUserView(user);
  }

  @Get()
  async list(@Query() query: PageQueryDto) {
    const page = await this.users.list(query);
    return { items: page.items.map(toUserView), nextCursor: page.nextCursor };
  }

  @Get(':id')
  async get(@IdParam() id: string) {
    return toUserView(await this.users.get(id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change role, disable/enable, or reset the password; ends the user’s sessions.' })
  async update(@IdParam() id: string, @Body() body: UpdateUserDto) {
    return toUserView(await this.users.update(id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@IdParam() id: string): Promise<void> {
    await this.users.delete(id);
  }
}
