import { BadInputError, ConflictError } from '@vulnzero/http';

/** The SQLSTATE of a failed query (TypeORM copies the driver's fields onto its error). */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export const UNIQUE_VIOLATION = '23505';
export const FOREIGN_KEY_VIOLATION = '23503';

/** Host writes: the races the service's checks lost (a concurrent insert or delete) still answer 409/400, never 500. */
export function hostWriteError(error: unknown, names: string[], credentialField: (index: number) => string): Error {
  const state = sqlState(error);
  if (state === UNIQUE_VIOLATION) {
    return new ConflictError(
      names.length === 1
        ? `name: a host named ${names[0]} already exists`
        : `hosts: a host with one of these names was registered meanwhile: ${names.slice(0, 20).join(', ')}`,
    );
  }
  if (state === FOREIGN_KEY_VIOLATION) return new BadInputError([`${credentialField(0)}: the credential no longer exists`]);
  return error instanceof Error ? error : new Error(String(error));
}
