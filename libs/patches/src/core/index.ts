export * from './field-problem';
export * from './captured-value';
export * from './placeholder-context';
export * from './placeholders';
export * from './package-patch';
export * from './patch-definition';
