import { Module } from '@nestjs/common';
import { RedisChannels } from './redis-channels';

/** The plumbing of live streams (SSE over Redis pub/sub) shared by tasks and host output. */
@Module({
  providers: [RedisChannels],
  exports: [RedisChannels],
})
export class LiveEventsModule {}
