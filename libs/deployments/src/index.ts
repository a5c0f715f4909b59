export * from './core';
export * from './deployment.entity';
export * from './deployment-view';
export * from './deployments.service';
export * from './deployments.module';
export * from './engine/deploy-runner';
export * from './maintenance-windows.service';
export * from './maintenance-window.entity';
