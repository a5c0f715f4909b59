export * from './queue-names';
export * from './redis-connection';
export * from './redis.module';
export * from './queues.module';
export * from './job-enqueuer';
export * from './job-handler';
export * from './announced-cache';
