import { BadRequestException, Param, ParseUUIDPipe } from '@nestjs/common';

/** `:id` route parameter that must be a UUID: anything else is a 400 naming the field, never a 500. */
export const IdParam = (name = 'id') =>
  Param(name, new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException(`${name} must be a UUID`) }));
