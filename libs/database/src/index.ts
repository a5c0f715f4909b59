export * from './core/cursor';
export * from './core/canonical-json';
export * from './database.module';
export * from './postgres-options';
export * from './migrator';
export * from './keyset-page';
export * from './write-batcher';
