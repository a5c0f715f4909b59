export * from './map-limit';
export * from './race-timeout';
export * from './barrier';
