/**
 * xAPI 1.0.3 statement types (the subset Open edX emits) and builders that serialise like the
 * Python tincan library: a property whose value is `None` is left out, but empty strings and
 * empty maps stay (`"description": {"en-US": ""}` is real upstream output).
 */

export type LanguageMap = Readonly<Record<string, string>>;
export type Extensions = Readonly<Record<string, unknown>>;

export interface XapiAgent {
  readonly objectType: 'Agent';
  readonly account: { readonly homePage: string; readonly name: string };
}

export interface XapiVerb {
  readonly id: string;
  readonly display: LanguageMap;
}

export interface XapiActivityDefinition {
  readonly type?: string;
  readonly name?: LanguageMap;
  readonly description?: LanguageMap;
  readonly interactionType?: string;
  readonly extensions?: Extensions;
}

export interface XapiActivity {
  readonly objectType: 'Activity' | 'GroupActivity';
  readonly id?: string;
  readonly definition?: XapiActivityDefinition;
}

export interface XapiScore {
  readonly scaled?: number;
  readonly raw?: number;
  readonly min?: number;
  readonly max?: number;
}

export interface XapiResult {
  readonly score?: XapiScore;
  readonly success?: boolean;
  readonly completion?: boolean;
  readonly response?: string;
  readonly duration?: string;
  readonly extensions?: Extensions;
}

export interface XapiContextActivities {
  readonly parent?: readonly XapiActivity[];
  readonly grouping?: readonly XapiActivity[];
}

export interface XapiContext {
  readonly contextActivities?: XapiContextActivities;
  readonly statement?: { readonly objectType: 'StatementRef'; readonly id: string };
  readonly extensions?: Extensions;
}

export interface XapiStatement {
  readonly id: string;
  readonly version: string;
  readonly actor: XapiAgent;
  readonly verb: XapiVerb;
  readonly object: XapiActivity;
  readonly result?: XapiResult;
  readonly context?: XapiContext;
  readonly timestamp?: string;
}

/** Drops `undefined` and `null` members (tincan's `_filter_none`); returns a new object. */
export function compact<T extends object>(o: { [K in keyof T]: T[K] | null | undefined }): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null) out[k] = v;
  return out as T;
}

/** tincan `Extensions`: a map whose `None` values are dropped. */
export function extensions(entries: Record<string, unknown>): Extensions {
  return compact(entries);
}

/** tincan `LanguageMap`: every value must be a string (tincan raises TypeError otherwise). */
export function languageMap(lang: string, value: unknown): LanguageMap {
  if (typeof value !== 'string') throw new TypeError(`LanguageMap value for "${lang}" must be a string`);
  return { [lang]: value };
}

export function activity(
  id: string | undefined,
  definition: XapiActivityDefinition | undefined,
  objectType: XapiActivity['objectType'] = 'Activity',
): XapiActivity {
  if (id === '') throw new TypeError("Activity 'id' must be not empty");
  return compact<XapiActivity>({ objectType, id, definition });
}
