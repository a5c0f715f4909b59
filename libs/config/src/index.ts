export * from './core/config-schema';
export * from './config.module';
export * from './core/ip-networks';
