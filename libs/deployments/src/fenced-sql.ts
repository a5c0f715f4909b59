/**
 * SQL: this process holds the deployment's lease. Part of every status write
 * the engine makes, so a worker that lost its lease writes nothing. `margin`
 * (ms) asks for the lease to stay held that much longer: a host is told to go
 * on only well inside it.
 */
export function leaseHeld(deploymentIdSql: string, ownerParam: string, margin = 0): string {
  return `EXISTS (SELECT 1 FROM deployments d WHERE d.id = ${deploymentIdSql} AND d.lease_owner = ${ownerParam}
          AND d.lease_until > now() + (${margin}::int * interval '1 millisecond'))`;
}

/** TypeORM answers `UPDATE … RETURNING` on PostgreSQL with `[rows, rowCount]`, an INSERT or SELECT with the rows. */
export function returnedRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return result as T[];
}
