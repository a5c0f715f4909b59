export * from './core/config-schema';
export * from './config.module';
