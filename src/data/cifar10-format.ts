// The layout of the official CIFAR-10 binary release, shared by the extractor (to check what it
// unpacked before trusting it) and the parser, so the two can never disagree about a valid batch.

export const IMAGE_SIDE = 32;
export const IMAGE_CHANNELS = 3;
export const PLANE_BYTES = IMAGE_SIDE * IMAGE_SIDE;
export const IMAGE_BYTES = PLANE_BYTES * IMAGE_CHANNELS;
/** One label byte, then the red, green and blue planes, each 32x32 row-major. */
export const RECORD_BYTES = 1 + IMAGE_BYTES;
export const RECORDS_PER_OFFICIAL_BATCH = 10_000;

export const ARCHIVE_NAME = 'cifar-10-binary.tar.gz';
export const OFFICIAL_URL = `https://www.cs.toronto.edu/~kriz/${ARCHIVE_NAME}`;
export const OFFICIAL_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';
export const BATCHES_DIR = 'cifar-10-batches-bin';

export const TRAIN_BATCH_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
export const TEST_BATCH_FILE = 'test_batch.bin';
/** Everything the official archive holds; the extractor writes these and nothing else. */
export const ARCHIVE_FILES = [...TRAIN_BATCH_FILES, TEST_BATCH_FILE, 'batches.meta.txt', 'readme.html'];
/** What an extraction must have produced to count as complete. */
export const REQUIRED_FILES = [...TRAIN_BATCH_FILES, TEST_BATCH_FILE];

/** Number of records a batch file of `size` bytes holds; throws naming the file when it cannot be one. */
export function recordsInBatch(file: string, size: number): number {
  if (size === 0) throw new Error(`CIFAR-10 batch ${file} is empty`);
  if (size % RECORD_BYTES !== 0) {
    throw new Error(
      `CIFAR-10 batch ${file} has ${size} bytes, not a multiple of the ${RECORD_BYTES}-byte record ` +
        `(${Math.floor(size / RECORD_BYTES)} whole records + ${size % RECORD_BYTES} stray bytes): truncated or not a CIFAR-10 batch`,
    );
  }
  return size / RECORD_BYTES;
}
