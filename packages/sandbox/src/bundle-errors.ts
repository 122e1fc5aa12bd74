/** Why the bundler refused a module's import: the file that imports, and the rule it broke. */
export type BundleRule =
  | 'module-package'
  | 'absolute-import'
  | 'outside-package'
  | 'symlink-outside-package'
  | 'undeclared-dependency'
  | 'import-attribute'
  | 'unresolvable';

export class BundleRuleError extends Error {
  override readonly name = 'BundleRuleError';
  readonly code = 'BUNDLE_RULE';
  constructor(
    readonly file: string,
    readonly rule: BundleRule,
    reason: string,
  ) {
    super(`${file}: ${reason} (rule: ${rule})`);
  }
}
