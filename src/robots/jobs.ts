import { timelineSyncJob } from '../timeline/flush.js';
import { robotSendJob } from './send.js';
import { robotTemplatesJob } from './template-sync.js';

/** The robot's and the timeline outbox's job kinds, for the registry in src/entry/jobs.ts. */
export const ROBOT_JOBS = [robotSendJob, robotTemplatesJob, timelineSyncJob] as const;
