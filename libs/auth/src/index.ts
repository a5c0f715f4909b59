export * from './core/permissions';
export * from './actor';
export * from './access.decorators';
