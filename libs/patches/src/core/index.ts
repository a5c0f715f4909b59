export * from './field-problem';
export * from './shell-quote';
export * from './placeholders';
export * from './package-patch';
export * from './patch-definition';
