export * from './dpkg-version';
export * from './severity';
export * from './osv-record';
export * from './osv-stream';
export * from './affected-range';
export * from './host-inventory';
export * from './host-findings';
