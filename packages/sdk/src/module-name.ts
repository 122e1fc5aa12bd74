/**
 * The one pattern module names follow everywhere (defineModule, the node's loader, the name a
 * sandbox reports): names become folder and database names, so nothing but these characters may
 * reach a path.
 */
export const MODULE_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;

/** What a module name may be, for error messages. */
export const MODULE_NAME_RULE = `lower-case letters, digits, "-" or "_", starting with a letter, at most 63 characters (${MODULE_NAME_PATTERN.source})`;

export function isModuleName(name: unknown): name is string {
  return typeof name === 'string' && MODULE_NAME_PATTERN.test(name);
}
