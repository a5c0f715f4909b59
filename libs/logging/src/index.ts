export * from './logging.module';
export * from './log-context';
export * from './request-log';
