// Which data set a command reads, beside where its files are (data-flags.ts): the names the
// Dataset seam knows (src/data/datasets.ts) and --image-size for image folders.
import { resolve } from 'node:path';
import { DATASET_NAMES, isDatasetName } from '../data/datasets.js';
import { DEFAULT_IMAGE_SIZE } from '../data/folder.js';
import { type CommandSpec, type FlagSpec, type ParsedArgs, UsageError } from './flags.js';

export const IMAGE_SIZE_FLAG: FlagSpec = {
  name: 'image-size',
  type: 'int',
  min: 4,
  max: 1024,
  defaultLabel: String(DEFAULT_IMAGE_SIZE),
  help: 'folder:DIR: side of the square images are resized to',
};

export const DATASET_HELP = `${DATASET_NAMES.join(', ')}`;

/**
 * A data set name as recorded (folder:DIR with DIR made absolute, so a resume from elsewhere finds
 * it), or a usage error listing the known names. `extra` are other names the command accepts.
 */
export function datasetNameFromArg(name: string, command: CommandSpec, extra: readonly string[] = []): string {
  if (extra.includes(name)) return name;
  if (!isDatasetName(name)) throw new UsageError(`unknown data set ${JSON.stringify(name)}: known are ${[...DATASET_NAMES, ...extra].join(', ')}`, command);
  return name.startsWith('folder:') ? `folder:${resolve(name.slice('folder:'.length))}` : name;
}

/** --image-size, which only an image folder takes (the others have their own size); undefined when not a folder. */
export function imageSizeFromArgs(args: ParsedArgs, dataset: string, command: CommandSpec): number | undefined {
  const given = args.flags['image-size'] as number | undefined;
  if (!dataset.startsWith('folder:')) {
    if (given !== undefined) throw new UsageError(`--image-size applies to folder:DIR data sets; ${dataset}'s images have their own size`, command);
    return undefined;
  }
  return given ?? DEFAULT_IMAGE_SIZE;
}
