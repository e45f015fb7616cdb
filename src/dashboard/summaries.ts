// What the dashboard sends about runs and trials: a run's line in the runs table, and a trial as the
// page lists it (the whole record comes when the trial is opened).
import type { TrialSummary } from '../report/series.js';
import type { TrialRecord } from '../store/records.js';

export type RunStatus = 'running' | 'finished' | 'stopped' | 'damaged' | 'empty';

/** A line of the runs table. */
export interface RunSummary {
  id: string;
  name: string;
  dir: string;
  status: RunStatus;
  pid?: number;
  space: string;
  strategy: string;
  scheduler: string;
  evaluator: string;
  best: number | null;
  trials: number;
  planned: number | null;
  childEpochs: number;
  /** From the run's creation to its last trial (or now, while it runs). */
  wallSeconds: number | null;
  backend: string;
  /** What is missing or damaged, in words; empty when nothing is. */
  problems: string[];
}

/** Six decimals: what a plot or a table can show of an accuracy, at half the bytes of a double's digits. */
const round = (x: number) => Math.round(x * 1e6) / 1e6;

/**
 * A trial as the page lists it: the record without its cells, the fields every trial of a run shares
 * and its time (the whole record is sent when the trial is opened), numbers to six decimals. A run of
 * 20,000 trials is then about 4 MB of JSON instead of 21.
 */
export const summaryOf = (t: TrialRecord): TrialSummary => {
  const { cells: _cells, state: _state, strategy: _strategy, backend: _backend, time: _time, ...rest } = t;
  return {
    ...rest,
    accuracy: t.accuracy === null ? null : round(t.accuracy),
    valAccuracies: t.valAccuracies.map(round),
    reward: round(t.reward),
    baseline: round(t.baseline),
    seconds: Math.round(t.seconds * 10) / 10,
  };
};
