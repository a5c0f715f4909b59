import { Module } from '@nestjs/common';
import { LiveStreamSlots } from './live-stream-slots';
import { RedisChannels } from './redis-channels';

/** The plumbing of live streams (SSE over Redis pub/sub) shared by tasks and host output, and their caps. */
@Module({
  providers: [RedisChannels, LiveStreamSlots],
  exports: [RedisChannels, LiveStreamSlots],
})
export class LiveEventsModule {}
