export * from './strategy';
export * from './canary-plan';
export * from './invalid-transition.error';
export * from './deployment-state';
export * from './host-state';
export * from './next-action';
export * from './task-progress';
export * from './health-commands';
