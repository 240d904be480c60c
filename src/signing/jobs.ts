import { notifyDeliverJob } from '../notify/jobs.js';
import { completeJob } from './completion.js';
import { longTermJob } from './long-term.js';
import { pageImagesJob } from './page-images.js';
import { expireJob, remindJob } from './timers.js';

/** The signing flow's job kinds (with the messages it sends), for the registry in src/jobs/handlers.ts. */
export const SIGNING_JOBS = [completeJob, remindJob, expireJob, notifyDeliverJob, pageImagesJob, longTermJob] as const;
