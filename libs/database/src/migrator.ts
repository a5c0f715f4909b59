import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../../migrations';
import { postgresOptions } from './postgres-options';

/** Applies pending migrations, each in its own transaction; returns their names. */
export async function runMigrations(databaseUrl: string, log = true): Promise<string[]> {
  const dataSource = new DataSource({
    ...postgresOptions(databaseUrl, 'vulnzero-migrate'),
    migrations: MIGRATIONS,
    migrationsTransactionMode: 'each',
  });
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations();
    if (log) {
      for (const m of applied) process.stdout.write(`applied migration ${m.name}\n`);
      if (applied.length === 0) process.stdout.write('database schema is up to date\n');
    }
    return applied.map((m) => m.name);
  } finally {
    await dataSource.destroy();
  }
}
