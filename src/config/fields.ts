// The settings of a SearchConfig as a list of fields: each with its path, the flag that sets it, its
// type, range, default and help, read off the schema's JSON Schema. The CLI's flags of `nascent
// search` and the flag tables of docs/reference/cli.md are made from this list, so a setting is
// described once, in schema.ts.
import { z } from 'zod';
import { SearchConfigSchema } from './schema.js';

type JsonSchema = {
  type?: string;
  properties?: Record<string, JsonSchema>;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  maxItems?: number;
  flag?: string;
  help?: string;
  defaultLabel?: string;
};

export type FieldType =
  | { type: 'int'; min?: number; max?: number }
  | { type: 'number'; min?: number; max?: number; exclusiveMin?: boolean }
  | { type: 'string' }
  | { type: 'bool' }
  | { type: 'enum'; choices: string[] }
  | { type: 'int-list'; length?: number; min?: number; max?: number };

export interface ConfigField {
  /** Path in the config: ['evaluator', 'epochs']. */
  path: string[];
  /** The variant the path belongs to, where a union decides it: { evaluator: 'child' }, { problem: 'nasnet' }. */
  variant: Record<string, string>;
  flag: string;
  help: string;
  defaultLabel?: string;
  default?: unknown;
  kind: FieldType;
}

function typeOf(s: JsonSchema): FieldType {
  const bounded = (v: number | undefined) => v !== undefined && Math.abs(v) < Number.MAX_SAFE_INTEGER;
  const range = { ...(bounded(s.minimum) ? { min: s.minimum } : {}), ...(bounded(s.maximum) ? { max: s.maximum } : {}) };
  if (s.enum) return { type: 'enum', choices: s.enum.map(String) };
  switch (s.type) {
    case 'integer':
      return { type: 'int', ...range };
    case 'number':
      return s.exclusiveMinimum !== undefined
        ? { type: 'number', min: s.exclusiveMinimum, exclusiveMin: true, ...(s.maximum !== undefined ? { max: s.maximum } : {}) }
        : { type: 'number', ...range };
    case 'boolean':
      return { type: 'bool' };
    case 'array': {
      const item = s.items ?? {};
      return {
        type: 'int-list',
        ...(s.minItems !== undefined && s.minItems === s.maxItems ? { length: s.minItems } : {}),
        ...(item.minimum !== undefined ? { min: item.minimum } : {}),
        ...(item.maximum !== undefined ? { max: item.maximum } : {}),
      };
    }
    default:
      return { type: 'string' };
  }
}

/** The discriminator value of a union member: the `const` of its `space` or `kind` property. */
function discriminator(member: JsonSchema): [string, string] | undefined {
  for (const key of ['space', 'kind']) {
    const c = member.properties?.[key]?.const;
    if (typeof c === 'string') return [key, c];
  }
  return undefined;
}

function walk(s: JsonSchema, path: string[], variant: Record<string, string>, out: ConfigField[]): void {
  if (s.flag !== undefined) {
    out.push({
      path,
      variant,
      flag: s.flag,
      help: s.help ?? '',
      ...(s.defaultLabel !== undefined ? { defaultLabel: s.defaultLabel } : {}),
      ...(s.default !== undefined ? { default: s.default } : {}),
      kind: typeOf(s),
    });
    return;
  }
  for (const member of s.oneOf ?? s.anyOf ?? []) {
    const d = discriminator(member);
    walk(member, path, d ? { ...variant, [path[0]]: d[1] } : variant, out);
  }
  for (const [key, child] of Object.entries(s.properties ?? {})) walk(child, [...path, key], variant, out);
}

let cached: ConfigField[] | undefined;

/** Every field of a SearchConfig that a flag sets, in the schema's order. */
export function configFields(): ConfigField[] {
  cached ??= (() => {
    const out: ConfigField[] = [];
    walk(z.toJSONSchema(SearchConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema, [], {}, out);
    return out;
  })();
  return cached;
}

/** The JSON Schema of a search config file (schema/search-config.schema.json is this, written out). */
export function searchConfigJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(SearchConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
