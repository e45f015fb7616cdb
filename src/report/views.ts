// The one catalogue of a run's views: which plots a run gets and the Vega-Lite spec of each. The
// static report renders these specs to SVG with vega headless (report.ts), the dashboard compiles the
// same specs in the browser (src/dashboard/client), so a plot looks and reads the same in both.
// Pure: no node: import, the browser bundle includes it.
import type { TopLevelSpec } from 'vega-lite';
import { budgetSpec } from './budget-plot.js';
import { costSpec } from './cost-plot.js';
import { accuracySpec, rewardSpec } from './plots.js';
import { childEpochsOf, epochsOfTrial, runSeries, strategyOf, type RunFacts, type TrialSummary } from './series.js';
import { spearman } from '../proxies/combine.js';
import { decisionSpec, proxySpec, rungSpec, type DecisionRow, type DecisionSource, type ProxyRow } from './trial-plots.js';
import { wsAccuracySpec, type WsStepPoint } from './ws-plot.js';
import type { TrialRecord } from '../store/records.js';

/** A run as the views read it: its settings, its trials, and the rows worked out on the node side (run-extras.ts). */
export interface ViewRun extends RunFacts {
  trials: readonly TrialSummary[];
  /** Each decision's choices: the controller's probabilities where it has a checkpoint, else the shares of recent proposals. */
  decisions?: { rows: DecisionRow[]; source: DecisionSource };
  proxies?: { rows: ProxyRow[]; proxy: string };
  /** A weight-sharing run's strategy steps (ws-steps.jsonl). */
  wsSteps?: readonly WsStepPoint[];
}

export interface View {
  /** Stable id: the report's file and <img> id, the dashboard's panel id. */
  id: string;
  heading: string;
  /** One sentence under the heading: how to read the plot. */
  caption: string;
  spec: TopLevelSpec;
}

/** A view whose spec is built when first read: the dashboard builds only the views it draws. */
function lazy(v: Omit<View, 'spec'> & { make: () => TopLevelSpec }): View {
  let spec: TopLevelSpec | undefined;
  return {
    id: v.id,
    heading: v.heading,
    caption: v.caption,
    get spec() {
      spec ??= v.make();
      return spec;
    },
  };
}

export function runSubtitle(run: ViewRun): string {
  const n = run.wsSteps ? run.wsSteps.length : run.trials.length;
  return `${run.name} · ${strategyOf(run)} · ${n} ${run.wsSteps ? 'strategy step' : 'episode'}${n === 1 ? '' : 's'}`;
}

/** The cost the accuracy-against-cost view puts on x: an MnasNet run's own, else parameters where recorded. */
function costOfRun(run: ViewRun): 'params' | 'latency' | undefined {
  const objective = run.settings?.objective;
  if (objective?.name === 'mnas') return objective.targetParams !== undefined ? 'params' : 'latency';
  return run.trials.some((t) => t.params > 0) ? 'params' : undefined;
}

/**
 * Every view that has something to show for `run`, in reading order. `subtitle` replaces the one
 * naming the run and its size (the dashboard leaves the size out: it changes with every trial, and
 * a plot whose spec changes only in its data is updated, not drawn again).
 */
export function runViews(run: ViewRun, subtitle?: string): View[] {
  const sub = subtitle ?? runSubtitle(run);
  const steps = run.wsSteps;
  if (steps) {
    return [
      lazy({
        id: 'ws-accuracy',
        heading: 'Shared-weight accuracy',
        caption: 'Each strategy step scores one architecture on a validation minibatch with the shared weights; the dashed line is its baseline.',
        make: () => wsAccuracySpec(steps, sub),
      }),
    ];
  }
  const { window, points } = runSeries(run);
  const epochs = childEpochsOf(run);
  const trials = run.trials as readonly TrialRecord[];
  // Against child-epochs the picture differs only when children trained different epochs (budgets,
  // pruning, cached results); otherwise it is the episode plot with its axis multiplied.
  const uniform = new Set(run.trials.map((t) => epochsOfTrial(t, epochs))).size <= 1;
  const sameEpochs = uniform && run.trials.length > 0 ? epochsOfTrial(run.trials[0], epochs) : undefined;
  const views: View[] = [
    lazy({
      id: 'accuracy',
      heading: 'Accuracy',
      caption:
        `Every child's validation accuracy by episode, the best so far (green) and the mean of the last ${window} finished (dashed).` +
        (sameEpochs !== undefined
          ? ` Every child trained ${sameEpochs} epoch${sameEpochs === 1 ? '' : 's'}: child-epochs spent = ${sameEpochs} × episode.`
          : ''),
      make: () => accuracySpec(points, window, sub),
    }),
    ...(uniform
      ? []
      : [
          lazy({
            id: 'accuracy-epochs',
            heading: 'Accuracy against cost in child-epochs',
            caption:
              'The same children against the child training epochs the search had spent by then: the fair axis when children train for different budgets.',
            make: () => accuracySpec(points, window, sub, 'epochs'),
          }),
        ]),
    lazy({
      id: 'reward',
      heading: 'Reward',
      caption: 'The reward each proposal earned (accuracy − baseline) and the baseline it was measured against.',
      make: () => rewardSpec(points, sub),
    }),
  ];
  // Only a run whose children had different budgets (Hyperband, pruning) has a budget axis to draw.
  const budgets = new Set(run.trials.filter((t) => t.accuracy !== null).map((t) => (t.pruned ? t.pruned.epoch : (t.budget ?? epochs))));
  if (budgets.size > 1)
    views.push(
      lazy({
        id: 'budget',
        heading: 'Accuracy against budget',
        caption: 'Each trial at the epochs it had: short trainings first, the promising ones continued, pruned ones where they stopped.',
        make: () => budgetSpec(trials, epochs, sub),
      }),
    );
  if (run.trials.some((t) => (t.rung ?? 0) > 0 && t.accuracy !== null && t.bracket !== undefined))
    views.push(
      lazy({
        id: 'rungs',
        heading: 'Hyperband brackets and rungs',
        caption: 'A panel per bracket; each grey line follows one architecture up the rungs it was promoted to, red points were pruned.',
        make: () => rungSpec(run.trials),
      }),
    );
  const cost = costOfRun(run);
  if (cost)
    views.push(
      lazy({
        id: 'cost',
        heading: cost === 'params' ? 'Accuracy against parameters' : 'Accuracy against latency',
        caption: 'Red points are the Pareto front: no other child is both more accurate and cheaper.',
        make: () => costSpec(trials, cost, sub),
      }),
    );
  const { decisions, proxies } = run;
  if (decisions && decisions.rows.length > 0) {
    const source = decisions.source;
    views.push(
      lazy({
        id: 'decisions',
        heading: source.kind === 'controller' ? 'What the controller has learned' : 'What the strategy proposes now',
        caption:
          source.kind === 'controller'
            ? "The controller's probability of each choice at each decision, given the most likely choices before it, read from its checkpoint: a dark cell is a choice it now prefers."
            : `How often each choice was taken at each decision by the last ${source.samples} proposals; a dark cell is a choice the strategy now prefers.`,
        make: () => decisionSpec(decisions.rows, source),
      }),
    );
  }
  if (proxies && proxies.rows.length > 0)
    views.push(
      lazy({
        id: 'proxies',
        heading: 'Proxy score against accuracy',
        caption: `Each trained architecture's ${proxies.proxy} score, taken before it was trained, against the accuracy it then reached.`,
        make: () => {
          // How well the proxy ranked what this search trained, in the figure bench:proxies reports.
          const rho = spearman(
            proxies.rows.map((r) => r.score),
            proxies.rows.map((r) => r.accuracy),
          );
          const about = Number.isNaN(rho) ? '' : `Spearman rho ${rho.toFixed(2)} over ${proxies.rows.length} trained architectures`;
          return proxySpec(proxies.rows, proxies.proxy, about || undefined);
        },
      }),
    );
  return views;
}
