// What a person without a network can do when a data set's download fails, added to the error.
import { DownloadError } from './download.js';

/** A catch handler that adds to a failed download how to give `name`'s files to nascent by hand. */
export function withOfflineHint(name: string): (err: unknown) => never {
  return (err: unknown): never => {
    if (err instanceof DownloadError) {
      err.message +=
        name === 'cifar10'
          ? '\n(no network? copy the extracted cifar-10-batches-bin/ to this machine and pass --data-dir DIR or set NASCENT_DATA)'
          : `\n(no network? copy ${name}'s four .gz files to this machine and pass --data-dir DIR${name === 'fashion-mnist' ? ', or apt-get install dataset-fashion-mnist' : ''})`;
    }
    throw err;
  };
}
