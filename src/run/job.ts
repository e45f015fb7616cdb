// One evaluation as data alone: the search's problem and evaluator settings, an architecture, its
// budget and maybe a saved state to continue from. A worker on another machine (issue 26) rebuilds
// the child from a job and nothing else, and gets the result the search itself would have: a child
// is a function of the seed and its cells, not of where or after what it is trained.
import type { PreparedBackend } from '../backend/index.js';
import { resolveSearchConfig } from '../config/resolve.js';
import type { SearchConfig } from '../config/schema.js';
import type { Dataset, DatasetSplits } from '../data/datasets.js';
import type { ChildHooks, ChildOutcome } from '../search/types.js';
import type { CellPair } from '../spaces/nasnet/types.js';
import type { SearchSpace } from '../spaces/types.js';
import { childEvaluatorOf, loadSearchImages, spaceOf } from './parts.js';

export const JOB_FORMAT = 'nascent.eval-job';

/** A job as JSON: what a queue carries. */
export interface EvalJob {
  format: typeof JOB_FORMAT;
  version: 1;
  /** The parts of the search's config that decide a child: problem, evaluator and seed. */
  config: Pick<SearchConfig, 'problem' | 'evaluator' | 'seed'>;
  /** The architecture as its space writes it (SearchSpace.toJSON). */
  arch: unknown;
  /** Epochs the child has at the end (default: the evaluator's). */
  epochs?: number;
  /** A saved child state (weights and optimizer) to continue from, base64. */
  state?: string;
  keepState?: boolean;
  measureLatency?: boolean;
  /** What a worker must have to train it the search's way; one that lacks it leaves the job to another. */
  requires?: JobRequirements;
  /** Ask the search after each epoch whether to go on (median pruning, which needs every child's curve). */
  prune?: boolean;
}

export interface JobRequirements {
  /** dataFingerprint of the search's images (src/data/fingerprint.ts). */
  data?: string;
  /** height, width, channels. */
  imageShape?: [number, number, number];
  /** The tfjs backend the search asked for by name (absent: any). */
  backend?: string;
}

/** Why a worker with these images and backend cannot serve `job`; undefined when it can. */
export function unmetRequirement(job: EvalJob, have: { data: string; imageShape: [number, number, number]; backend: string }): string | undefined {
  const r = job.requires;
  if (!r) return undefined;
  if (r.imageShape && r.imageShape.join('x') !== have.imageShape.join('x'))
    return `its images are ${r.imageShape.join('x')}, this worker's are ${have.imageShape.join('x')}`;
  if (r.data && r.data !== have.data) return `its data set has fingerprint ${r.data}, this worker's copy has ${have.data} (other images, or another subset)`;
  if (r.backend && r.backend !== have.backend) return `it asks for the ${r.backend} backend, this worker runs ${have.backend}`;
  return undefined;
}

export function jobOf(
  config: SearchConfig,
  arch: unknown,
  request: { epochs?: number; state?: Uint8Array; keepState?: boolean; measureLatency?: boolean; requires?: JobRequirements; prune?: boolean } = {},
): EvalJob {
  return {
    format: JOB_FORMAT,
    version: 1,
    config: { problem: config.problem, evaluator: config.evaluator, seed: config.seed },
    arch,
    ...(request.epochs !== undefined ? { epochs: request.epochs } : {}),
    ...(request.state ? { state: Buffer.from(request.state).toString('base64') } : {}),
    ...(request.keepState ? { keepState: true } : {}),
    ...(request.measureLatency ? { measureLatency: true } : {}),
    ...(request.requires ? { requires: request.requires } : {}),
    ...(request.prune ? { prune: true } : {}),
  };
}

export interface JobContext {
  backend: PreparedBackend;
  /** Images already loaded for this problem (a worker keeps them between jobs); loaded from the config otherwise. */
  images?: DatasetSplits;
  /** Your own images in place of the config's named data set. */
  dataset?: Dataset;
  hooks?: ChildHooks;
}

/** Trains the child `job` describes and returns what the search records of it. */
export async function evaluateJob(job: EvalJob, ctx: JobContext): Promise<ChildOutcome> {
  if (job?.format !== JOB_FORMAT || job.version !== 1) throw new Error(`not a ${JOB_FORMAT} of version 1`);
  const config = resolveSearchConfig({ ...job.config }, { source: 'job config' });
  if (config.evaluator.kind !== 'child') throw new Error(`a job trains a child; its evaluator is ${config.evaluator.kind}`);
  // A child evaluator means the NASNet space (resolveSearchConfig checks it): the job's cells are a cell pair.
  const arch = (spaceOf(config) as SearchSpace<CellPair>).validate(job.arch);
  const images = ctx.images ?? (await loadSearchImages(config, {}, ctx.dataset));
  const evaluator = childEvaluatorOf(config, images, ctx.backend.name);
  return evaluator.train(arch, ctx.hooks, {
    ...(job.epochs !== undefined ? { epochs: job.epochs } : {}),
    ...(job.state ? { resume: { bytes: new Uint8Array(Buffer.from(job.state, 'base64')), what: 'the job' } } : {}),
    ...(job.keepState ? { keepState: true } : {}),
    ...(job.measureLatency ? { measureLatency: true } : {}),
  });
}
