export { JobRunner, startJobRunner, type JobRunnerOptions, type JobLogger } from './job-runner.js';
export { JobRun } from './job-run.entity.js';
