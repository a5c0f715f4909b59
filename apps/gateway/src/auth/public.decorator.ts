import { SetMetadata } from '@nestjs/common';

/** Marks a route as reachable without a token (health, docs, login). */
export const IS_PUBLIC = 'vulnzero:isPublic';
export const Public = () => SetMetadata(IS_PUBLIC, true);
