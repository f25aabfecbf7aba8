export { type AppJobs, attachPluginJobs, detachPluginJobs, pluginJobsOf } from './jobs-slot.js';
export { enqueueJob, type JobLogger, PluginJobs, queueNames } from './plugin-jobs.js';
