export * from './database.module';
export * from './postgres-options';
export * from './migrator';
