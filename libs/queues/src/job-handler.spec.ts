import { JobHandler, MissingJobHandlerError, requireJobHandlers } from './job-handler';
import { JOB_QUEUE, JobName } from './queue-names';

const handlerFor = (job: JobName): JobHandler => ({ job, handle: async () => undefined });
const allJobs = Object.keys(JOB_QUEUE) as JobName[];

describe('requireJobHandlers', () => {
  it('indexes one handler per job name when every job name has one', () => {
    const byName = requireJobHandlers(allJobs.map(handlerFor));
    expect([...byName.keys()].sort()).toEqual([...allJobs].sort());
  });

  it('throws MissingJobHandlerError naming every job name without a handler', () => {
    const build = () => requireJobHandlers([handlerFor('scan.run')]);
    expect(build).toThrow(MissingJobHandlerError);
    expect(build).toThrow('no handler registered for job(s): deploy.run, rollback.run');
  });

  it('throws on two handlers for one job name', () => {
    expect(() => requireJobHandlers([...allJobs, 'deploy.run' as JobName].map(handlerFor))).toThrow(
      'two handlers registered for job deploy.run',
    );
  });
});
