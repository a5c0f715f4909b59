import { DynamicModule, Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import type { ConnectionOptions } from 'bullmq';
import { APP_CONFIG, AppConfig } from '@vulnzero/config';
import { QUEUES } from './queue-names';
import { redisOptionsFromUrl } from './redis-connection';
import { JobEnqueuer } from './job-enqueuer';

/** BullMQ on Redis: the three queues and the one place jobs are enqueued from. */
@Module({})
export class QueuesModule {
  static forRoot(): DynamicModule {
    return {
      module: QueuesModule,
      global: true,
      imports: [
        BullModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => ({
            connection: redisOptionsFromUrl(config.redisUrl, 'queue') as ConnectionOptions,
            prefix: 'vz',
          }),
        }),
        BullModule.registerQueue(...QUEUES.map((name) => ({ name }))),
      ],
      providers: [JobEnqueuer],
      exports: [BullModule, JobEnqueuer],
    };
  }
}
