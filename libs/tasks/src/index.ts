export * from './core/task-state';
export * from './task.entity';
export * from './tasks.service';
export * from './tasks.module';
export * from './task-events';
export * from './task-reconciler';
export * from './task-view-cache';
export * from './progress-writer';
