export * from './core/audit-event';
export * from './core/audit-chain';
export * from './core/audit-cursor';
export * from './core/http-audit-event';
export * from './audit-event.entity';
export * from './audit.service';
export * from './audit.module';
export * from './audit-http-recorder';
