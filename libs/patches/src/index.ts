export * from './core';
export * from './patch.entity';
export * from './patches.errors';
export * from './patches.service';
export * from './patches.module';
