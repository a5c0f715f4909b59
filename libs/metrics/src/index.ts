export * from './metrics.module';
export * from './metric-definitions';
export * from './cluster-metrics';
export * from './http-metrics.middleware';
export * from './core/scrape-token';
export * from './core/route-label';
