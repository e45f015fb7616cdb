// Bringing a run directory back to a consistent state after a crash, so the episode loop can go on.
//
// runSearch makes an episode durable in this order: checkpoint (holding the trial as `pending`),
// then the trial line, then best-cells.json. A crash can therefore leave, besides a clean state:
//   - a torn last line in trials.jsonl (killed mid-append): cut off; the checkpoint holds it whole;
//   - a checkpoint one episode ahead of trials.jsonl (killed between the two writes): the pending
//     trial is appended;
//   - a stale best-cells.json (killed before it was replaced): rewritten from the checkpoint.
// Anything else (a checkpoint behind the trials, episodes out of order) is damage from outside and
// is reported, never guessed at.
import { bestTrial, type SearchCheckpoint } from './loop.js';
import { paretoFront, type CostName } from './pareto.js';
import type { TrialRecord } from '../store/records.js';
import { RunStoreError, type RunStore } from '../store/run-store.js';

export interface RecoveredRun {
  /** Episodes finished and recorded. */
  done: number;
  best?: TrialRecord;
  /** The state to restore strategy and baseline from; absent when no episode had finished. */
  checkpoint?: SearchCheckpoint;
  /** What was repaired, one line each, for the user. */
  repairs: string[];
  /** Every recorded trial, in order (the cache and the pruner are rebuilt from them). */
  trials: TrialRecord[];
}

function checkOrder(trials: TrialRecord[], path: string): void {
  trials.forEach((t, i) => {
    if (t?.episode !== i + 1) throw new RunStoreError(`${path}: line ${i + 1} holds episode ${t?.episode}, expected ${i + 1} (the file was edited or damaged)`);
  });
}

/** `frontCost`: with the mnas objective, the cost whose Pareto front best-cells.json holds. */
export function recoverRun(store: RunStore, frontCost?: CostName): RecoveredRun {
  const repairs: string[] = [];
  const leftovers = store.removeTemporaryFiles();
  if (leftovers > 0)
    repairs.push(`removed ${leftovers} temporary file${leftovers === 1 ? '' : 's'} of writes a crash interrupted (the files they were replacing are intact)`);
  const torn = store.discardTornLine();
  if (torn !== undefined) {
    repairs.push(`discarded a torn last line of trials.jsonl (${Buffer.byteLength(torn)} bytes, cut off by a crash while it was written)`);
  }
  const trialsPath = store.path('trials');
  const { trials } = store.readTrials();
  checkOrder(trials, trialsPath);

  const checkpoint = store.readCheckpoint<SearchCheckpoint>();
  if (checkpoint === undefined) {
    if (trials.length > 0)
      throw new RunStoreError(`${store.path('checkpoint')} is missing but ${trialsPath} holds ${trials.length} episodes: the search state cannot be restored`);
    return { done: 0, repairs, trials };
  }
  if (checkpoint.format !== 'nascent.checkpoint' || checkpoint.version !== 1 || !Number.isInteger(checkpoint.episode)) {
    throw new RunStoreError(`${store.path('checkpoint')}: not a nascent checkpoint of version 1`);
  }

  if (checkpoint.episode === trials.length + 1) {
    if (checkpoint.pending?.episode !== checkpoint.episode)
      throw new RunStoreError(`${store.path('checkpoint')}: its pending trial is not episode ${checkpoint.episode}`);
    store.appendTrial(checkpoint.pending);
    trials.push(checkpoint.pending);
    repairs.push(`recorded episode ${checkpoint.episode}, which had finished but whose line had not been written`);
  } else if (checkpoint.episode !== trials.length) {
    throw new RunStoreError(
      `${store.path('checkpoint')} is at episode ${checkpoint.episode} but ${trialsPath} holds ${trials.length}: the run was edited or damaged`,
    );
  }

  // best-cells.json is derived data: rewrite it whenever it may be behind the trials (with the
  // mnas objective it holds the Pareto front too, which changes without the best changing).
  const best = bestTrial(trials);
  if (best !== undefined) {
    const config = store.readConfig();
    const front = frontCost ? paretoFront(trials, frontCost) : undefined;
    const onDisk = store.readBest();
    const frontStale = front !== undefined && JSON.stringify(onDisk?.front?.map((p) => p.episode)) !== JSON.stringify(front.map((p) => p.episode));
    if (onDisk?.episode !== best.episode || onDisk.key !== best.key || frontStale) {
      store.writeBest(best, config, front);
      repairs.push(`best-cells.json brought up to date (episode ${best.episode})`);
    }
  }
  return { done: trials.length, best, checkpoint, repairs, trials };
}
