import { Test } from '@nestjs/testing';
import { JOB_HANDLERS, JOB_QUEUE, JobHandler, JobName, MissingJobHandlerError } from '@vulnzero/queues';
import { TasksService } from '@vulnzero/tasks';
import { JobDispatcher } from './job-dispatcher';

function handlerFor(job: JobName): JobHandler {
  return { job, handle: async () => undefined };
}

/** Boots a Nest context holding only the dispatcher, fed `handlers` as JOB_HANDLERS. */
async function bootDispatcher(handlers: JobHandler[]): Promise<() => Promise<void>> {
  const moduleRef = await Test.createTestingModule({
    providers: [JobDispatcher, { provide: JOB_HANDLERS, useValue: handlers }, { provide: TasksService, useValue: {} }],
  }).compile();
  await moduleRef.init();
  return () => moduleRef.close();
}

describe('JobDispatcher at boot', () => {
  const allJobs = Object.keys(JOB_QUEUE) as JobName[];

  it('starts when every job name has a handler', async () => {
    const close = await bootDispatcher(allJobs.map(handlerFor));
    await close();
  });

  it('refuses to start when a job name has no handler, naming it', async () => {
    const boot = bootDispatcher(allJobs.filter((job) => job !== 'rollback.run').map(handlerFor));
    await expect(boot).rejects.toThrow(MissingJobHandlerError);
    await expect(boot).rejects.toMatchObject({ missing: ['rollback.run'] });
  });

  it('refuses to start when two handlers claim the same job name', async () => {
    await expect(bootDispatcher([...allJobs, 'scan.run' as JobName].map(handlerFor))).rejects.toThrow(
      'two handlers registered for job scan.run',
    );
  });
});
