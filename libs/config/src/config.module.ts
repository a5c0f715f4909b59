import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig, AppRole, parseConfig } from './core/config-schema';

export const APP_CONFIG = Symbol('APP_CONFIG');

/**
 * Loads and validates the environment once at boot. Apps call `loadConfigOrExit`
 * in main.ts before Nest starts, so a bad value stops the process with a message
 * naming the variable instead of a stack trace from deep inside a provider.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}

export function loadConfigOrExit(role: AppRole, env: NodeJS.ProcessEnv = process.env): AppConfig {
  try {
    return parseConfig(env, role);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
}
