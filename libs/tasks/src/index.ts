export * from './core/task-state';
export * from './core/cursor';
export * from './task.entity';
export * from './tasks.service';
export * from './tasks.module';
