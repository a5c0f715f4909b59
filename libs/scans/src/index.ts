export * from './core';
export * from './scan.entities';
export * from './scan-view';
export * from './scans.service';
export * from './findings.service';
export * from './advisories.service';
export * from './engine/scan-runner';
export * from './scans.module';
