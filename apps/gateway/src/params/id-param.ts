import { BadRequestException, Param, ParseUUIDPipe, PipeTransform } from '@nestjs/common';

/** UUIDs compare as text in the gateway's maps and caches: one spelling, the one PostgreSQL returns. */
const lowerCase: PipeTransform<string, string> = { transform: (value) => value.toLowerCase() };

/**
 * `:id` route parameter that must be a UUID: anything else is a 400 naming the
 * field, never a 500. Upper-case hex is accepted and handed on in lower case.
 */
export const IdParam = (name = 'id') =>
  Param(name, new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException(`${name} must be a UUID`) }), lowerCase);
