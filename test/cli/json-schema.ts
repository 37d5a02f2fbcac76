/**
 * A small JSON Schema (2020-12) validator: the subset docs/schema/output.schema.json uses (type, enum, const,
 * properties, required, additionalProperties, items, $ref to #/$defs, allOf/anyOf/oneOf, if/then/else,
 * pattern, minimum, minLength). Enough to hold the CLI to its published schema without a dependency; a
 * keyword it does not know fails loudly, so the schema cannot silently outgrow it.
 */
type Schema = boolean | { [keyword: string]: unknown };

const KNOWN = new Set([
  '$schema', '$id', '$defs', 'title', 'description', 'type', 'enum', 'const', 'properties', 'required', 'additionalProperties',
  'items', '$ref', 'allOf', 'anyOf', 'oneOf', 'if', 'then', 'else', 'pattern', 'minimum', 'minLength',
]);

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isInteger(value)) return 'integer';
  return typeof value;
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Every violation as "path: problem"; empty when `value` is valid. */
export function validate(root: Schema, value: unknown): string[] {
  const errors: string[] = [];
  check(root, value, '$', errors, root);
  return errors;
}

function resolveRef(root: Schema, ref: string): Schema {
  const m = /^#\/\$defs\/(.+)$/.exec(ref);
  const defs = (root as { $defs?: Record<string, Schema> }).$defs;
  if (!m || !defs || !(m[1]! in defs)) throw new Error(`unresolvable $ref ${ref}`);
  return defs[m[1]!]!;
}

function check(schema: Schema, value: unknown, path: string, errors: string[], root: Schema): void {
  if (schema === true) return;
  if (schema === false) {
    errors.push(`${path}: not allowed`);
    return;
  }
  for (const keyword of Object.keys(schema)) if (!KNOWN.has(keyword)) throw new Error(`schema keyword ${keyword} not supported`);
  const s = schema as Record<string, any>;
  const actual = typeOf(value);
  if (s.type !== undefined) {
    const types: string[] = Array.isArray(s.type) ? s.type : [s.type];
    if (!types.some((t) => t === actual || (t === 'number' && actual === 'integer'))) errors.push(`${path}: expected ${types.join(' or ')}, got ${actual}`);
  }
  if (s.enum !== undefined && !s.enum.some((e: unknown) => sameJson(e, value))) errors.push(`${path}: ${JSON.stringify(value)} not one of ${JSON.stringify(s.enum)}`);
  if ('const' in s && !sameJson(s.const, value)) errors.push(`${path}: expected ${JSON.stringify(s.const)}`);
  if (typeof value === 'string') {
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(value)) errors.push(`${path}: "${value}" does not match ${s.pattern}`);
    if (s.minLength !== undefined && value.length < s.minLength) errors.push(`${path}: shorter than ${s.minLength}`);
  }
  if (typeof value === 'number' && s.minimum !== undefined && value < s.minimum) errors.push(`${path}: below ${s.minimum}`);
  if (actual === 'object') {
    const object = value as Record<string, unknown>;
    for (const name of s.required ?? []) if (!(name in object)) errors.push(`${path}: missing ${name}`);
    for (const [name, item] of Object.entries(object)) {
      if (s.properties && name in s.properties) check(s.properties[name], item, `${path}.${name}`, errors, root);
      else if (s.additionalProperties !== undefined) check(s.additionalProperties, item, `${path}.${name}`, errors, root);
    }
  }
  if (actual === 'array' && s.items !== undefined) (value as unknown[]).forEach((item, i) => check(s.items, item, `${path}[${i}]`, errors, root));
  if (s.$ref !== undefined) check(resolveRef(root, s.$ref), value, path, errors, root);
  for (const sub of s.allOf ?? []) check(sub, value, path, errors, root);
  if (s.anyOf !== undefined && !s.anyOf.some((sub: Schema) => validateAt(sub, value, path, root).length === 0)) errors.push(`${path}: matches none of anyOf`);
  if (s.oneOf !== undefined) {
    const matches = s.oneOf.filter((sub: Schema) => validateAt(sub, value, path, root).length === 0).length;
    if (matches !== 1) errors.push(`${path}: matches ${matches} of oneOf, not exactly one`);
  }
  if (s.if !== undefined) {
    const branch = validateAt(s.if, value, path, root).length === 0 ? s.then : s.else;
    if (branch !== undefined) check(branch, value, path, errors, root);
  }
}

function validateAt(schema: Schema, value: unknown, path: string, root: Schema): string[] {
  const errors: string[] = [];
  check(schema, value, path, errors, root);
  return errors;
}
