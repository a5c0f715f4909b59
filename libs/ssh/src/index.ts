export * from './core/host-key';
export * from './core/output-tail';
export * from './ssh.errors';
export * from './ssh-session';
export * from './sequence-channel';
export * from './ssh-connector';
export * from './ssh2-internals';
export * from './ssh.module';
