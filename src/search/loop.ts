// The episode loop: propose, train, reward, learn, record. Each finished episode is made durable
// in two steps that a crash between them cannot tear apart: the checkpoint (holding the new trial
// as `pending`) is replaced atomically first, then the trial line is appended and fsync'd. A
// resume that finds the checkpoint one episode ahead of trials.jsonl appends the pending line.
import { keyHash } from '../cells/key.js';
import type { SearchSpace } from '../spaces/types.js';
import type { RunStore } from '../store/run-store.js';
import type { TrialRecord } from '../store/records.js';
import type { Baseline, Evaluator, Strategy } from './types.js';

export type SearchEvent =
  | { type: 'episode-start'; episode: number; episodes: number; explored: boolean; key: string }
  | { type: 'epoch-start'; episode: number; epoch: number }
  | { type: 'batch'; episode: number; epoch: number; batch: number; batches: number; loss: number }
  | { type: 'epoch-end'; episode: number; epoch: number; valAccuracy: number; loss: number }
  | { type: 'episode-end'; trial: TrialRecord; best?: TrialRecord };

export interface SearchCheckpoint {
  format: 'nascent.checkpoint';
  version: 1;
  /** Episodes finished, the pending one included. */
  episode: number;
  strategy: unknown;
  baseline: unknown;
  best?: TrialRecord;
  pending: TrialRecord;
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
}

export interface SearchOutcome {
  episodesDone: number;
  best?: TrialRecord;
  stopped: boolean;
}


export function isBetter(trial: TrialRecord, best: TrialRecord | undefined): boolean {
  return trial.accuracy !== null && (best === undefined || best.accuracy === null || trial.accuracy > best.accuracy);
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
  while (done < o.episodes) {
    if (o.signal?.aborted) return { episodesDone: done, best, stopped: true };
    const episode = done + 1;
    const proposal = await o.strategy.propose();
    const arch = o.space.decode(proposal.actions);
    const key = keyHash(o.space.key(arch));
    emit({ type: 'episode-start', episode, episodes: o.episodes, explored: proposal.explored, key });

    // Evaluators count epochs and batches from 0; events count them from 1, as people do.
    let outcome;
    try {
      outcome = await o.evaluator.train(arch, {
        signal: o.childSignal,
        onEpochStart: (epoch) => emit({ type: 'epoch-start', episode, epoch: epoch + 1 }),
        onBatch: (epoch, batch, batches, loss) => emit({ type: 'batch', episode, epoch: epoch + 1, batch: batch + 1, batches, loss }),
        onEpochEnd: (epoch, s) => emit({ type: 'epoch-end', episode, epoch: epoch + 1, valAccuracy: s.valAccuracy, loss: s.loss }),
      });
    } catch (err) {
      // An aborted child is not a result: the episode is dropped and will run again on resume.
      if (o.childSignal?.aborted) return { episodesDone: done, best, stopped: true };
      throw err;
    }
    if (o.childSignal?.aborted) return { episodesDone: done, best, stopped: true };

    // The baseline is read before this episode's accuracy joins it (the seed's bug included it).
    const baseline = o.baseline.value();
    const accuracy = outcome.failed ? null : outcome.accuracy;
    const reward = (accuracy ?? 0) - baseline;
    await o.strategy.observe(proposal, { accuracy, reward });
    // A failed child says nothing about how good working children are: it stays out of the baseline.
    if (accuracy !== null) o.baseline.push(accuracy);

    const trial: TrialRecord = {
      episode,
      strategy: o.strategy.name,
      cells: o.space.toJSON(arch) as TrialRecord['cells'],
      key,
      explored: proposal.explored,
      accuracy,
      valAccuracies: outcome.valAccuracies,
      reward,
      baseline,
      params: outcome.params,
      seconds: outcome.seconds,
      backend: o.backend,
      ...(outcome.failed ? { failed: outcome.failed } : {}),
      time: new Date().toISOString(),
    };
    if (isBetter(trial, best)) best = trial;

    const checkpoint: SearchCheckpoint = {
      format: 'nascent.checkpoint',
      version: 1,
      episode,
      strategy: await o.strategy.getState(),
      baseline: o.baseline.getState(),
      best,
      pending: trial,
    };
    o.store.writeCheckpoint(checkpoint);
    o.store.appendTrial(trial);
    if (best === trial) o.store.writeBest(trial, o.settings);
    done = episode;
    emit({ type: 'episode-end', trial, best });
  }
  return { episodesDone: done, best, stopped: false };
}
