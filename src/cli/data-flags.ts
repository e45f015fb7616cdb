// Where CIFAR-10 comes from: the flags every command that reads it shares, and their checks.
import { resolve } from 'node:path';
import { CIFAR10_URL } from '../data/cifar10.js';
import type { FlagSpec, ParsedArgs } from './flags.js';
import { UsageError, type CommandSpec } from './flags.js';

export const DATA_FLAGS: FlagSpec[] = [
  { name: 'data-dir', type: 'string', defaultLabel: '$NASCENT_DATA or ~/.cache/nascent/cifar-10', help: 'CIFAR-10 cache or extracted copy' },
  { name: 'data-url', type: 'string', defaultLabel: CIFAR10_URL, help: 'where to download the CIFAR-10 archive from (a mirror)' },
  { name: 'data-md5', type: 'string', defaultLabel: "the official archive's", help: "md5 the downloaded archive must have (only for a mirror's own archive)" },
  { name: 'allow-http', type: 'bool', default: false, help: 'allow a plain-http --data-url (the archive is still md5-checked)' },
];

/** Names of DATA_FLAGS: they say where the data is, never what a search does. */
export const DATA_FLAG_NAMES = DATA_FLAGS.map((f) => f.name);

export interface DataSource {
  dataDir?: string;
  url?: string;
  md5?: string;
  allowHttp: boolean;
}

export function dataSourceFromArgs(args: ParsedArgs, command: CommandSpec): DataSource {
  const f = args.flags;
  const url = f['data-url'] as string | undefined;
  const md5 = f['data-md5'] as string | undefined;
  const allowHttp = f['allow-http'] === true;
  if (url !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new UsageError(`--data-url: ${JSON.stringify(url)} is not a URL`, command);
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
      throw new UsageError(`--data-url: only https (or http with --allow-http) URLs, got ${parsed.protocol}`, command);
    // Plain http can be tampered with on the way; the md5 check still holds, but make it a choice.
    if (parsed.protocol === 'http:' && !allowHttp) throw new UsageError(`--data-url ${url} is plain http; pass --allow-http to use it`, command);
  }
  if (md5 !== undefined && !/^[0-9a-fA-F]{32}$/.test(md5))
    throw new UsageError(`--data-md5: expected 32 hexadecimal digits, got ${JSON.stringify(md5)}`, command);
  return {
    ...(f['data-dir'] !== undefined ? { dataDir: resolve(f['data-dir'] as string) } : {}),
    ...(url !== undefined ? { url } : {}),
    ...(md5 !== undefined ? { md5: md5.toLowerCase() } : {}),
    allowHttp,
  };
}

/** A sortable name for an output directory: 20261125-213000Z. */
export function timestamp(d = new Date()): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
    .replace('T', '-');
}
