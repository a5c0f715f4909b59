import type { DataSourceOptions } from 'typeorm';

export function postgresOptions(databaseUrl: string, applicationName: string): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    applicationName,
    synchronize: false,
    migrationsRun: false,
    // Fail fast instead of queueing forever when PostgreSQL is unreachable.
    connectTimeoutMS: 5000,
    extra: { max: 20, idleTimeoutMillis: 30000 },
  };
}
