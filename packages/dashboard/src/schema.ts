/** The parts of a parameter's JSON Schema (as zod 4 emits it) that forms use. */
export interface PropSchema {
  readonly type?: string | readonly string[];
  readonly description?: string;
  readonly title?: string;
  readonly default?: unknown;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly anyOf?: readonly PropSchema[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly format?: string;
  readonly items?: PropSchema;
  readonly 'x-choices-from'?: unknown;
}

export interface ObjectSchema {
  readonly properties?: Readonly<Record<string, PropSchema>>;
  readonly required?: readonly string[];
}

/** Every JSON type a property admits (unions and nullables flattened). */
export function typesOf(s: PropSchema): string[] {
  if (s.anyOf !== undefined) return [...new Set(s.anyOf.flatMap(typesOf))];
  if (s.type === undefined) return s.enum !== undefined ? [...new Set(s.enum.map((v) => (v === null ? 'null' : typeof v)))] : [];
  return typeof s.type === 'string' ? [s.type] : [...s.type];
}

/** The allowed values of an enum (also as a union of consts), if the property is one. */
export function enumOf(s: PropSchema): readonly unknown[] | undefined {
  if (s.enum !== undefined) return s.enum;
  if (s.anyOf !== undefined) {
    const all = s.anyOf.flatMap(
      (x) => enumOf(x) ?? (x.const !== undefined ? [x.const] : typesOf(x).includes('null') ? [] : [undefined]),
    );
    if (all.length > 0 && !all.includes(undefined)) return all;
  }
  return undefined;
}

/** The schema of a property, with the null branch of a nullable removed. */
export function nonNull(s: PropSchema): PropSchema {
  if (s.anyOf === undefined) return s;
  const rest = s.anyOf.filter((x) => !(x.type === 'null'));
  return rest.length === 1
    ? { ...(rest[0] as PropSchema), description: s.description ?? rest[0]?.description, default: s.default ?? rest[0]?.default }
    : s;
}
