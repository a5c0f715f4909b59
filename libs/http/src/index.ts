export * from './http-error.filter';
export * from './domain-error';
export * from './validation.pipe';
export * from './request-id';
export * from './http-security';
export * from './weak-etag';
