import { describe, expect, it } from 'vitest';
import { accuracyData, accuracySpec, CHILD_KINDS, compareSpec, renderSpec, rewardSpec, rollingMeanName } from '../../src/report/plots.js';
import { rasterize, svgToPng } from '../../src/report/render.js';
import { episodeSeries } from '../../src/report/run-data.js';
import { fakeTrials } from './fake-run.js';
import { darkPixels, decodePng } from './png.js';

interface PlottedPoint {
  label: string;
  x: number;
  y: number;
}

/** Every point mark vega drew: its aria-label (the row's description) and where it sits. */
function points(svg: string): PlottedPoint[] {
  const re = /<path aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="point" transform="translate\(([-\d.e]+),([-\d.e]+)\)"/g;
  return [...svg.matchAll(re)].map((m) => ({ label: m[1], x: Number(m[2]), y: Number(m[3]) }));
}

/** Higher values sit higher (smaller y), later episodes further right: the points follow the data. */
function expectPlacedByValue(pts: Array<{ value: number; episode: number; x: number; y: number }>): void {
  const byValue = [...pts].sort((a, b) => a.value - b.value);
  for (let i = 1; i < byValue.length; i++) {
    if (byValue[i].value > byValue[i - 1].value) expect(byValue[i].y).toBeLessThan(byValue[i - 1].y);
  }
  const byEpisode = [...pts].sort((a, b) => a.episode - b.episode);
  for (let i = 1; i < byEpisode.length; i++) if (byEpisode[i].episode > byEpisode[i - 1].episode) expect(byEpisode[i].x).toBeGreaterThan(byEpisode[i - 1].x);
}

const trials = fakeTrials({ episodes: 24, window: 4, failed: [5, 17] });
const series = episodeSeries(trials, 4, 2);

describe('accuracy plot', () => {
  it('draws one point per episode at its accuracy, failed children at 0, explored ones apart', async () => {
    const svg = await renderSpec(accuracySpec(series, 4, 'fake'));
    const drawn = points(svg);
    expect(drawn).toHaveLength(trials.length);
    const expected = trials.map((t) =>
      t.accuracy === null
        ? `episode ${t.episode}: failed child`
        : `episode ${t.episode}: accuracy ${t.accuracy}, ${t.explored ? CHILD_KINDS.explored : CHILD_KINDS.policy}`,
    );
    expect(drawn.map((p) => p.label).sort()).toEqual(expected.sort());
    expectPlacedByValue(
      drawn.map((p) => {
        const episode = Number(/^episode (\d+)/.exec(p.label)![1]);
        return { ...p, episode, value: trials[episode - 1].accuracy ?? 0 };
      }),
    );
    // Both kinds of child and the two lines appear in the legends.
    for (const text of [CHILD_KINDS.policy, CHILD_KINDS.explored, CHILD_KINDS.failed, rollingMeanName(4), 'best so far']) expect(svg).toContain(`>${text}<`);
    expect(svg.match(/aria-roledescription="line mark"/g)).toHaveLength(2);
  });

  it('holds the rolling mean and best-so-far lines of the run', () => {
    const { lines } = accuracyData(series, 4);
    const mean = lines.filter((l) => l.series === rollingMeanName(4));
    const best = lines.filter((l) => l.series === 'best so far');
    expect(mean.map((l) => l.episode)).toEqual(trials.map((t) => t.episode));
    expect(mean.map((l) => l.value)).toEqual(series.map((p) => p.rollingMean));
    expect(best.map((l) => l.value)).toEqual(series.map((p) => p.bestSoFar));
    expect(best[best.length - 1].value).toBe(Math.max(...trials.flatMap((t) => (t.accuracy === null ? [] : [t.accuracy]))));
  });

  it('draws empty axes with a message when no episode has finished', async () => {
    const svg = await renderSpec(accuracySpec([], 20, 'empty'));
    expect(points(svg)).toHaveLength(0);
    expect(svg).toContain('no finished episodes yet');
  });
});

describe('reward plot', () => {
  it('draws the reward and the baseline of every episode', async () => {
    const svg = await renderSpec(rewardSpec(series));
    const drawn = points(svg);
    expect(drawn).toHaveLength(2 * trials.length);
    const labels = new Set(drawn.map((p) => p.label));
    for (const t of trials) {
      expect(labels).toContain(`episode ${t.episode}: reward ${t.reward}`);
      expect(labels).toContain(`episode ${t.episode}: baseline ${t.baseline}`);
    }
    const rewards = drawn.filter((p) => p.label.includes(': reward '));
    expectPlacedByValue(rewards.map((p) => ({ ...p, episode: Number(/^episode (\d+)/.exec(p.label)![1]), value: Number(p.label.split(' reward ')[1]) })));
  });
});

describe('compare plot', () => {
  it('draws each run in its own colour on both axes', async () => {
    const rows = [
      { run: 'a (controller)', episode: 1, epochs: 2, best: 0.2, description: 'a1' },
      { run: 'a (controller)', episode: 2, epochs: 4, best: 0.3, description: 'a2' },
      { run: 'b (random)', episode: 1, epochs: 6, best: 0.25, description: 'b1' },
    ];
    const svg = await renderSpec(compareSpec(rows, ['a (controller)', 'b (random)']));
    // Each row is drawn twice: against episode and against child-epochs.
    expect(
      points(svg)
        .map((p) => p.label)
        .sort(),
    ).toEqual(['a1', 'a1', 'a2', 'a2', 'b1', 'b1']);
    expect(svg).toContain('>a (controller)<');
    expect(svg).toContain('>b (random)<');
    expect(svg).toContain('>child training epochs spent<');
  });
});

describe('PNG rendering', () => {
  it('draws text with the installed fonts', async () => {
    // The families the plots (sans-serif) and Graphviz (Helvetica, then sans-Serif) ask for.
    for (const family of ['sans-serif', 'Helvetica,sans-Serif', 'DejaVu Sans, sans-serif']) {
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><text x="5" y="28" font-family="${family}" font-size="24">Accuracy</text></svg>`;
      const img = await rasterize(svg, 1);
      expect(img.width).toBe(200);
      // Eight glyphs at 24 px cover a few hundred pixels; no font would leave the image white.
      expect(darkPixels({ width: img.width, height: img.height, pixels: img.pixels }), family).toBeGreaterThan(150);
    }
  });

  it('writes a PNG twice the SVG size, with the plot and its labels on it', async () => {
    const svg = await renderSpec(accuracySpec(series, 4, 'fake'));
    const [, w, h] = /<svg[^>]*width="(\d+)" height="(\d+)"/.exec(svg)!.map(Number);
    const png = decodePng(await svgToPng(svg));
    expect(png.width).toBe(2 * w);
    expect(png.height).toBe(2 * h);
    expect(png.width).toBeGreaterThan(1000);
    const dark = darkPixels(png);
    expect(dark).toBeGreaterThan(5000);
    expect(dark).toBeLessThan(png.width * png.height * 0.5);
  });
});
