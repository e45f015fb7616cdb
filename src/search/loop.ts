// The episode loop: propose, train, reward, learn, record. Each finished episode is made durable
// in two steps that a crash between them cannot tear apart: the checkpoint (holding the new trial
// as `pending`) is replaced atomically first, then the trial line is appended and fsync'd. A
// resume that finds the checkpoint one episode ahead of trials.jsonl appends the pending line.
//
// What is trained, for how long, and whether an earlier child is continued is the Scheduler's
// (src/schedulers): an episode is one of its jobs, a new proposal or a promotion, and a child's saved
// state is written (atomically) before the checkpoint that refers to it. A job whose key was already
// trained at the same budget reuses that trial's result (`cached`) unless retrainDuplicates is set;
// a pruner may stop a child after any epoch. Both are rebuilt from trials.jsonl on resume.
//
// Several children may be in flight at once (`parallel`, issue 26): the loop keeps that many
// train() calls going and records each as it finishes, so episodes are numbered in finishing order.
// A child handed to another process is written into the checkpoint (`inflight`) before it leaves,
// under a job id that stays the same across a resume, so a resumed search sends the same children
// again and a queue that still holds them hands back their results instead of training them twice.
import { keyHash } from '../spaces/nasnet/key.js';
import { TrialCache } from '../schedulers/cache.js';
import { FullFidelity } from '../schedulers/full.js';
import type { MedianPruner } from '../schedulers/median-pruner.js';
import type { Job, Member, Scheduler } from '../schedulers/types.js';
import type { SearchSpace } from '../spaces/types.js';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { RunStore } from '../store/run-store.js';
import type { TrialRecord } from '../store/records.js';
import type { Baseline, ChildHooks, ChildOutcome, Evaluator, Proposal, Screen, Strategy } from './types.js';
import { accuracyObjective, type Objective } from './objective.js';
import { paretoFront, type CostName } from './pareto.js';
import type { ParetoPoint } from '../store/records.js';

interface ChildStart {
  explored: boolean;
  key: string;
  budget?: number;
  cached?: boolean;
  inheritedFrom?: number;
}

/**
 * One child at a time, a child's events carry the episode it will be recorded as. With children in
 * flight at once (parallel or queued), episodes are numbered in the order children finish, so a
 * child's events carry its `child` number (the order it was sent) and episode-end says both.
 */
export type SearchEvent =
  | ({ type: 'episode-start'; episode: number; episodes: number } & ChildStart)
  | { type: 'epoch-start'; episode: number; epoch: number }
  | { type: 'batch'; episode: number; epoch: number; batch: number; batches: number; loss: number }
  | { type: 'epoch-end'; episode: number; epoch: number; valAccuracy: number; loss: number }
  | ({ type: 'child-start'; child: number; inFlight: number } & ChildStart)
  | { type: 'child-worker'; child: number; worker: string }
  | { type: 'child-epoch'; child: number; epoch: number; valAccuracy: number; loss: number }
  | { type: 'episode-end'; trial: TrialRecord; best?: TrialRecord; child?: number };

/** A child sent to be trained and not yet recorded, as the checkpoint keeps it. */
export interface InFlightChild {
  /** The search's number for it, in the order children were sent (from 1). */
  child: number;
  job: Job;
  proposal: Proposal;
  /** Its zero-cost proxy scores (a search with a screen). */
  proxy?: Record<string, number | null>;
}

/** What a checkpoint of a search with children in flight holds about them. */
export interface InFlightState {
  children: InFlightChild[];
  /** Children sent so far. */
  dispatched: number;
  /** The run's name in job ids (`run-child`), kept so a resume asks a queue for the same jobs. */
  run: string;
  /** The last recorded trial (the checkpoint's `pending`). */
  pending?: TrialRecord;
}

export interface SearchCheckpoint {
  format: 'nascent.checkpoint';
  version: 1;
  /** Episodes finished, the pending one included. */
  episode: number;
  strategy: unknown;
  baseline: unknown;
  best?: TrialRecord;
  /** The last recorded trial (absent only before the first, while children are in flight). */
  pending?: TrialRecord;
  /** The scheduler's state (absent in runs from before schedulers: one budget for all). */
  scheduler?: unknown;
  /** Children in flight when it was written (searches that queue children only). */
  inflight?: InFlightChild[];
  dispatched?: number;
  run?: string;
}

export interface SearchOptions {
  store: RunStore;
  space: SearchSpace;
  strategy: Strategy;
  evaluator: Evaluator;
  baseline: Baseline;
  episodes: number;
  /** Episodes already finished (resume). */
  done?: number;
  best?: TrialRecord;
  backend: string;
  settings: Record<string, unknown>;
  onEvent?(event: SearchEvent): void;
  /** Checked between episodes: an abort finishes the current write and returns. */
  signal?: AbortSignal;
  /** The abort of a child in progress (e.g. a second Ctrl-C); the episode is then not recorded. */
  childSignal?: AbortSignal;
  /** Budgets and promotions; default: every proposal trained once at the evaluator's own budget. */
  scheduler?: Scheduler;
  /** Train a key again even when it was trained at the same budget before (no cache). */
  retrainDuplicates?: boolean;
  /** Stops children early (median pruning). */
  pruner?: MedianPruner;
  /** Trials already recorded (resume): the cache and the pruner learn from them. */
  history?: readonly TrialRecord[];
  /** Budget of recorded trials that do not say theirs (runs from before budgets). */
  defaultBudget?: number;
  /** What children are ranked by (default: validation accuracy); see objective.ts. */
  objective?: Objective;
  /** With the mnas objective: the cost whose Pareto front best-cells.json holds. */
  frontCost?: CostName;
  /** Measure each child's batch-1 latency (recorded in its trial). */
  measureLatency?: boolean;
  /** Children in flight at once (default 1); the evaluator must take that many train() calls at once. */
  parallel?: number;
  /** Children go to other processes (a pool, a queue): checkpoint them as they leave (default: parallel > 1). */
  queued?: boolean;
  /** What the checkpoint said was in flight (resume). */
  inflight?: InFlightState;
  /** Scores each architecture before it is sent (recorded in its trial), and may reject new ones untrained. */
  screen?: Screen;
}

export interface SearchOutcome {
  episodesDone: number;
  best?: TrialRecord;
  stopped: boolean;
}

/** What a trial is ranked by: its objective value where the run had one (mnas), else its accuracy. */
export const rankOf = (t: TrialRecord): number | null => (t.objective !== undefined ? t.objective : t.accuracy);

export function isBetter(trial: TrialRecord, best: TrialRecord | undefined): boolean {
  const r = rankOf(trial);
  const b = best === undefined ? null : rankOf(best);
  return r !== null && (b === null || r > b);
}

/** The best trial of `trials` in their order (the first on ties, as the search keeps it); undefined if none finished. */
export function bestTrial(trials: readonly TrialRecord[]): TrialRecord | undefined {
  let best: TrialRecord | undefined;
  for (const t of trials) if (isBetter(t, best)) best = t;
  return best;
}

export async function runSearch(o: SearchOptions): Promise<SearchOutcome> {
  let best = o.best;
  let done = o.done ?? 0;
  const emit = o.onEvent ?? (() => {});
  const scheduler = o.scheduler ?? new FullFidelity();
  const cache = new TrialCache(o.history, o.defaultBudget);
  const objective = o.objective ?? accuracyObjective;
  const parallel = o.parallel ?? 1;
  if (!Number.isInteger(parallel) || parallel < 1) throw new RangeError(`parallel must be a positive integer, got ${parallel}`);
  // Children handed to other processes are checkpointed when they leave, so a resume sends the same
  // ones again (a queue adopts them by id) instead of drawing new ones.
  const queued = o.queued ?? (parallel > 1 || (o.inflight?.children.length ?? 0) > 0);
  let front: ParetoPoint[] = o.frontCost ? paretoFront(o.history ?? [], o.frontCost) : [];
  for (const t of o.history ?? []) o.pruner?.add(t);
  const resumed = o.inflight;
  let dispatched = resumed?.dispatched ?? done;
  const runId = resumed?.run ?? randomUUID().slice(0, 8);
  let lastTrial = resumed?.pending;
  const flying = new Map<number, Flight>();
  const stopped = () => ({ episodesDone: done, best, stopped: true });

  /** The checkpoint after `episode`; `leaving` is a child about to be sent, recorded as in flight before it goes. */
  const checkpoint = async (episode: number, leaving?: InFlightChild): Promise<SearchCheckpoint> => ({
    format: 'nascent.checkpoint',
    version: 1,
    episode,
    strategy: await o.strategy.getState(),
    baseline: o.baseline.getState(),
    best,
    ...(lastTrial ? { pending: lastTrial } : {}),
    scheduler: scheduler.getState(),
    ...(queued
      ? { inflight: [...[...flying.values()].map((f) => f.saved), ...(leaving ? [leaving] : [])].map((c) => structuredClone(c)), dispatched, run: runId }
      : {}),
  });

  /** Starts the child `saved` describes: a cached result at once, else the evaluator's promise. */
  const launch = (saved: InFlightChild): void => {
    const { job, proposal, child } = saved;
    const arch = o.space.decode(proposal.actions);
    const key = keyHash(o.space.key(arch));
    const hit = o.retrainDuplicates ? undefined : cache.get(key, job.budget);
    // Continue a promoted child from its saved state; one without (its rung result was cached, or
    // it failed) is trained from scratch to the new budget.
    const parent = job.kind === 'promote' && job.from.state && !hit ? job.from : undefined;
    const episode = done + 1;
    const start = { explored: proposal.explored, key, budget: job.budget, cached: hit !== undefined, inheritedFrom: parent?.episode };
    if (queued) emit({ type: 'child-start', child, ...start, inFlight: flying.size + 1 });
    else emit({ type: 'episode-start', episode, episodes: o.episodes, ...start });
    const flight: Flight = { saved, arch, key, hit, parent, result: Promise.resolve(undefined as never) };
    flying.set(child, flight);
    if (hit) {
      const outcome: ChildOutcome = {
        accuracy: hit.accuracy ?? 0,
        valAccuracies: hit.valAccuracies,
        params: hit.params,
        seconds: 0,
        epochsTrained: 0,
        ...(hit.latencyMs !== undefined ? { latencyMs: hit.latencyMs } : {}),
        ...(hit.browserLatencyMs !== undefined ? { browserLatencyMs: hit.browserLatencyMs } : {}),
      };
      flight.result = Promise.resolve({ child, outcome });
      return;
    }
    // Evaluators count epochs and batches from 0; events count them from 1, as people do.
    const hooks: ChildHooks = queued
      ? {
          signal: o.childSignal,
          onWorker: (worker) => emit({ type: 'child-worker', child, worker }),
          onEpochEnd: (epoch, s) => emit({ type: 'child-epoch', child, epoch: epoch + 1, valAccuracy: s.valAccuracy, loss: s.loss }),
        }
      : {
          signal: o.childSignal,
          onEpochStart: (epoch) => emit({ type: 'epoch-start', episode, epoch: epoch + 1 }),
          onBatch: (epoch, batch, batches, loss) => emit({ type: 'batch', episode, epoch: epoch + 1, batch: batch + 1, batches, loss }),
          onEpochEnd: (epoch, s) => emit({ type: 'epoch-end', episode, epoch: epoch + 1, valAccuracy: s.valAccuracy, loss: s.loss }),
        };
    if (o.pruner) hooks.stopAfterEpoch = (accs: readonly number[]) => o.pruner!.check([...(parent?.valAccuracies ?? []), ...accs])?.reason;
    flight.result = o.evaluator
      .train(arch, hooks, {
        epochs: job.budget,
        keepState: scheduler.keepsStates,
        ...(o.measureLatency ? { measureLatency: true } : {}),
        ...(parent ? { resume: { bytes: o.store.readState(parent.state!), what: join(o.store.dir, parent.state!) } } : {}),
        ...(queued ? { jobId: `${runId}-${child}` } : {}),
      })
      .then(
        (outcome) => ({ child, outcome }),
        (error: unknown) => ({ child, error }),
      );
  };

  /** Records a finished child as the next episode: reward, learning, the checkpoint and its trial line. */
  const record = async (flight: Flight, outcome: ChildOutcome): Promise<TrialRecord> => {
    const { saved, arch, key, hit, parent } = flight;
    const { job, proposal } = saved;
    const episode = done + 1;
    const valAccuracies = hit ? outcome.valAccuracies : [...(parent?.valAccuracies ?? []), ...outcome.valAccuracies];
    const accuracy = outcome.failed ? null : Math.max(0, outcome.accuracy, ...valAccuracies);
    // Ranked by the objective (accuracy itself unless --objective mnas): reward, baseline, strategy
    // and scheduler all see the same value.
    const score =
      accuracy === null
        ? null
        : objective.score(accuracy, { params: outcome.params, latencyMs: outcome.latencyMs, browserLatencyMs: outcome.browserLatencyMs });
    // The baseline is read before this episode's value joins it (the seed's bug included it).
    const baseline = o.baseline.value();
    const reward = (score ?? 0) - baseline;
    await o.strategy.observe(proposal, { accuracy: score, reward, ...(job.budget !== undefined ? { budget: job.budget } : {}) });
    // A failed child says nothing about how good working children are: it stays out of the baseline.
    if (score !== null) o.baseline.push(score);

    const state = outcome.state && !outcome.failed ? o.store.writeState(episode, outcome.state) : undefined;
    const trial: TrialRecord = {
      episode,
      strategy: o.strategy.name,
      cells: o.space.toJSON(arch) as TrialRecord['cells'],
      key,
      explored: proposal.explored,
      accuracy,
      valAccuracies,
      reward,
      baseline,
      params: outcome.params,
      seconds: outcome.seconds,
      backend: outcome.backend ?? o.backend,
      ...(outcome.failed ? { failed: outcome.failed } : {}),
      time: new Date().toISOString(),
      ...scheduleFields(job, outcome, hit, parent, state),
      ...(outcome.latencyMs !== undefined ? { latencyMs: outcome.latencyMs } : {}),
      ...(outcome.browserLatencyMs !== undefined ? { browserLatencyMs: outcome.browserLatencyMs } : {}),
      ...(objective.name !== 'accuracy' ? { objective: score } : {}),
      ...(outcome.worker !== undefined ? { worker: outcome.worker } : {}),
      ...(saved.proxy ? { proxy: saved.proxy } : {}),
    };
    if (isBetter(trial, best)) best = trial;
    cache.add(trial);
    o.pruner?.add(trial);
    const member: Member = {
      episode,
      accuracy: score,
      proposal: {
        actions: [...proposal.actions],
        explored: proposal.explored,
        ...(proposal.memo !== undefined ? { memo: structuredClone(proposal.memo) } : {}),
      },
      budget: job.budget ?? 0,
      valAccuracies,
      ...(state ? { state } : {}),
    };
    scheduler.record(job, member);

    flying.delete(saved.child);
    await commit(trial);
    const newFront = o.frontCost ? paretoFront([...front, trial], o.frontCost) : front;
    const frontChanged = newFront.length !== front.length || newFront.some((p, i) => p.episode !== front[i].episode);
    front = newFront;
    if (best && (best === trial || frontChanged)) o.store.writeBest(best, o.settings, o.frontCost ? front : undefined);
    // States no job can continue any more (a child in flight may still be sent again after a
    // resume: its parent's state stays); a crash before this leaves files the next pass deletes.
    o.store.pruneStates([...scheduler.liveStates(), ...[...flying.values()].flatMap((f) => (f.parent?.state ? [f.parent.state] : []))]);
    return trial;
  };

  /** Makes `trial` the next episode on disk: the checkpoint after it, then its line. */
  const commit = async (trial: TrialRecord): Promise<void> => {
    lastTrial = trial;
    o.store.writeCheckpoint(await checkpoint(trial.episode));
    o.store.appendTrial(trial);
    done = trial.episode;
  };

  /** A proposal the screen rejected: fed back as a failure and recorded as a trial that trained nothing. */
  const reject = async (proposal: Proposal, key: string, arch: unknown, look: Awaited<ReturnType<Screen['look']>>): Promise<TrialRecord> => {
    const baseline = o.baseline.value();
    await o.strategy.observe(proposal, { accuracy: null, reward: -baseline, rejected: true });
    const trial: TrialRecord = {
      episode: done + 1,
      strategy: o.strategy.name,
      cells: o.space.toJSON(arch) as TrialRecord['cells'],
      key,
      explored: proposal.explored,
      accuracy: null,
      valAccuracies: [],
      reward: -baseline,
      baseline,
      params: typeof look.scores.params === 'number' ? look.scores.params : 0,
      seconds: look.seconds,
      backend: o.backend,
      time: new Date().toISOString(),
      epochsTrained: 0,
      proxy: look.scores,
      rejected: look.reject!,
    };
    await commit(trial);
    return trial;
  };

  // A resumed search first sends again the children it had in flight when it stopped.
  for (const saved of resumed?.children ?? []) launch(structuredClone(saved));
  for (;;) {
    // A turn of the event loop between episodes: a table lookup or a cached result never waits for
    // anything, and without one a Ctrl-C (a signal is an event) would never be heard.
    await new Promise<void>((r) => setImmediate(r));
    while (!o.signal?.aborted && flying.size < parallel && done + flying.size < o.episodes) {
      const job = scheduler.next([...flying.values()].map((f) => f.saved.job));
      if (job === undefined) break; // a barrier (synchronous Hyperband): wait for a result
      const proposal: Proposal = job.kind === 'new' ? await o.strategy.propose() : { ...job.from.proposal };
      let proxy: Record<string, number | null> | undefined;
      if (o.screen) {
        const arch = o.space.decode(proposal.actions);
        const key = keyHash(o.space.key(arch));
        const look = await o.screen.look(arch, job.kind === 'new');
        if (look.reject) {
          // The same job comes back from next(): its slot goes to the strategy's next proposal.
          const trial = await reject(proposal, key, arch, look);
          emit({ type: 'episode-end', trial, best });
          continue;
        }
        proxy = look.scores;
      }
      const saved: InFlightChild = { child: ++dispatched, job: structuredClone(job), proposal: structuredClone(proposal), ...(proxy ? { proxy } : {}) };
      if (queued) o.store.writeCheckpoint(await checkpoint(done, saved));
      launch(saved);
    }
    if (flying.size === 0) return o.signal?.aborted && done < o.episodes ? stopped() : { episodesDone: done, best, stopped: false };
    const settled = await Promise.race([...flying.values()].map((f) => f.result));
    // An aborted child is not a result: it is dropped and runs again on resume.
    if (o.childSignal?.aborted) return stopped();
    if ('error' in settled) throw settled.error;
    const flight = flying.get(settled.child)!;
    const trial = await record(flight, settled.outcome);
    emit({ type: 'episode-end', trial, best, ...(queued ? { child: settled.child } : {}) });
  }
}

type Settled = { child: number; outcome: ChildOutcome } | { child: number; error: unknown };

/** A child on its way: what the checkpoint keeps of it, and what recording it needs. */
interface Flight {
  saved: InFlightChild;
  arch: unknown;
  key: string;
  hit?: TrialRecord;
  parent?: Member;
  result: Promise<Settled>;
}

/** The trial's multi-fidelity fields: its budget, rung and bracket, and how it got its result. */
function scheduleFields(
  job: Job,
  outcome: ChildOutcome,
  hit: TrialRecord | undefined,
  parent: Member | undefined,
  state: string | undefined,
): Partial<TrialRecord> {
  return {
    ...(job.budget !== undefined ? { budget: job.budget } : {}),
    rung: job.rung,
    bracket: job.bracket,
    ...(outcome.epochsTrained !== undefined ? { epochsTrained: outcome.epochsTrained } : {}),
    ...(hit ? { cached: true, cachedFrom: hit.episode } : {}),
    ...(parent ? { inheritedFrom: parent.episode } : {}),
    ...(state ? { state } : {}),
    ...(outcome.stopped ? { pruned: outcome.stopped } : {}),
  };
}
