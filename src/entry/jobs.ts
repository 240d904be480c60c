import { z } from 'zod';
import { BLOB_JOBS } from '../blobs/sweep.js';
import { docgenFetchJob } from '../documents/docgen.js';
import { ROBOT_JOBS } from '../robots/jobs.js';
import { SIGNING_JOBS } from '../signing/jobs.js';
import type { Services } from '../services.js';
import { defineJob, handlersFrom, type JobDefinition, type JobHandlers } from '../jobs/queue.js';

/** Does nothing; useful to check that a deployment's runners are alive (`enqueue(db, { kind: 'noop' })`). */
export const noopJob = defineJob('noop', z.object({}).passthrough(), async () => {});

/**
 * The job registry: every job kind this service runs. It lives with the entries (the composition root),
 * not in the domain: the domain folders define jobs and never import this file. To add one: define it
 * next to its domain code with `defineJob(kind, zodPayload, run)` (from src/jobs/queue.js),
 * enqueue it with `enqueueJob(db, def, payload, opts)`, and list it here.
 */
export const JOB_DEFINITIONS: ReadonlyArray<JobDefinition<any, Services>> = [noopJob, docgenFetchJob, ...ROBOT_JOBS, ...SIGNING_JOBS, ...BLOB_JOBS];

export function createJobHandlers(definitions: ReadonlyArray<JobDefinition<any, Services>> = JOB_DEFINITIONS): JobHandlers<Services> {
  return handlersFrom(definitions);
}
