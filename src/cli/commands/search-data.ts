// The images a search trains and scores on, as its settings say: one place for both kinds of
// search (children trained on their own, and the weight-sharing supernet), so a data setting
// added once reaches both.
import type { DatasetSplits } from '../../data/datasets.js';
import type { ParsedArgs } from '../flags.js';
import { dataSourceFromArgs } from '../data-flags.js';
import { obtainSearchData } from '../dataset-flags.js';
import { searchCommand, type SearchSettings } from './search-settings.js';

/** Any data set behind the Dataset seam, split and limited as the settings say, and a line saying what was loaded. */
export async function loadSearchData(args: ParsedArgs, s: SearchSettings, log: (line: string) => void): Promise<DatasetSplits> {
  const source = { ...dataSourceFromArgs(args, searchCommand), dataDir: s.dataDir };
  const splits = await obtainSearchData(
    s.dataset,
    source,
    { trainLimit: s.trainLimit, valLimit: s.valLimit, valFraction: s.valFraction, splitSeed: 0, imageSize: s.imageSize },
    log,
  );
  const { train, val } = splits;
  const about = s.dataset === 'cifar10' ? '' : `, ${train.height}x${train.width}x${train.channels}, ${splits.classes.length} classes`;
  log(`data: ${train.count} training and ${val.count} validation images (disjoint) from ${splits.source}${about}`);
  return splits;
}
