// nascent's library API: `import { search, train, loadDataset } from 'nascent'`. Everything here is
// typed and stable; modules not exported here are the CLI's and may change.

// Searching and training from code: one SearchConfig describes a search, the runner runs it.
export {
  search,
  resume,
  train,
  DEFAULT_CHANNELS,
  type DataInput,
  type SearchOptions,
  type SearchResult,
  type RunEvent,
  type ResumeOverrides,
  type TrainOptions,
  type TrainResult,
} from './api.js';
export {
  SearchConfigSchema,
  SEARCH_CONFIG_FORMAT,
  SEARCH_CONFIG_VERSION,
  type SearchConfig,
  type SearchConfigInput,
  type EvaluatorConfig,
  type ProblemConfig,
  type StrategyConfig,
  type SchedulerConfig,
  type ObjectiveConfig,
} from './config/schema.js';
export { resolveSearchConfig, SearchConfigError, type ConfigIssue } from './config/resolve.js';
export { upgradeConfig, ConfigVersionError } from './config/upgrade.js';
export { PRESETS } from './config/presets.js';

// Data sets: by name, a folder of images, or arrays of your own.
export {
  arrayDataset,
  imageSetFromArrays,
  isDatasetName,
  loadDataset,
  resolveDataset,
  CIFAR10_CLASS_NAMES,
  DATASET_NAMES,
  UnknownDatasetError,
  type ArrayDatasetInput,
  type ArrayImages,
  type Dataset,
  type DatasetLoadOptions,
  type DatasetSplits,
  type FinalSplits,
  type ImageShape,
} from './data/datasets.js';
export type { ImageSet } from './data/types.js';
export { FolderDatasetError, IMAGE_EXTENSIONS, scanImageFolder, stratifiedSplit } from './data/folder.js';
export { FASHION_MNIST, MNIST, IdxChecksumError, type IdxDatasetSpec } from './data/mnist.js';
export { IdxFormatError, parseIdx } from './data/idx.js';
export { splitTrainVal, concatSets, subset } from './data/split.js';
export { ChecksumError, DownloadError } from './data/download.js';

// The seams: strategies and evaluators of your own implement these.
export type { Strategy, Evaluator, Proposal, Feedback, ChildHooks, ChildOutcome, EvalRequest, Baseline } from './search/types.js';
export type { SearchEvent } from './search/loop.js';
export type { SearchSpace, Decision } from './spaces/types.js';
export type { TrialRecord, BestCellsFile } from './store/records.js';

// The NASNet cell space and its cells.
export { nasnetSpace } from './spaces/nasnet/space.js';
export { OPERATIONS, COMBINES, type Block, type Cell, type CellPair, type CellSpace, type Operation, type Combine } from './spaces/nasnet/types.js';
export { readCellsFile } from './spaces/nasnet/cells-file.js';

// The built-in strategies.
export { makeStrategy, STRATEGY_NAMES, type StrategyName, type StrategySettings } from './strategies/index.js';
export { ControllerStrategy, type ControllerStrategyOptions } from './strategies/controller/strategy.js';
export { RandomStrategy } from './strategies/random.js';
export { RegularizedEvolution, type EvolutionOptions } from './strategies/evolution.js';
export { TreeParzenEstimator, type TpeOptions } from './strategies/tpe.js';

// The child network and its trainer (an Evaluator).
export { ChildManager, CHILD_DEFAULTS, type ChildManagerOptions, type ChildResult } from './evaluators/child/manager.js';
export { buildChild, countParams, type BuildOptions } from './evaluators/child/build.js';
export { trainFinal, type FinalTrainOptions, type FinalTrainResult } from './evaluators/child/final-train.js';
export { saveLayersModel, loadLayersModelFromDir } from './evaluators/child/model-io.js';

// Backends.
export { prepareBackend, BACKEND_CHOICES, type BackendChoice, type PreparedBackend } from './backend/index.js';
