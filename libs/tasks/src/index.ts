export * from './core/task-state';
// Cursors moved to @vulnzero/database; re-exported while callers move over.
export { encodeCursor, decodeCursor } from '@vulnzero/database';
export * from './task.entity';
export * from './tasks.service';
export * from './tasks.module';
export * from './task-events';
export * from './task-reconciler';
export * from './task-view-cache';
export * from './progress-writer';
