import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig } from '@vulnzero/config';
import { postgresOptions } from './postgres-options';

/**
 * The PostgreSQL connection of an app. Entities register themselves through
 * `TypeOrmModule.forFeature` in their own capability module; the schema comes
 * only from migrations (never `synchronize`).
 */
@Module({})
export class DatabaseModule {
  static forRoot(applicationName: string): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => ({
            ...postgresOptions(config.databaseUrl, applicationName),
            autoLoadEntities: true,
          }),
        }),
      ],
    };
  }
}
