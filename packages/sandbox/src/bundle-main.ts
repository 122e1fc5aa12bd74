/**
 * Entry point of the bundler's own process (bundle-process.ts): builds one module's bundle and
 * sends it back; the node writes it. It starts with an empty environment, so nothing a module's
 * code or config can make esbuild read at bundle time (`process.env`, `define`) holds the
 * node's secrets, and, where bubblewrap runs, in a kernel sandbox that shows it only the
 * module's package, the packages it declares, esbuild and Node (bundler-view.ts).
 */
import { buildBundle, bundleErrorText, type BuiltBundle, type BundleOptions } from './bundler.ts';

export interface BundleRequest {
  /** The module's entry file, real path. */
  readonly entry: string;
  /** Where the node will write the bundle (names its source map's paths). */
  readonly outDir: string;
  readonly options: BundleOptions;
  /** esbuild's API main file. */
  readonly esbuild: string;
}

export type BundleReply = { readonly ok: true; readonly built: BuiltBundle } | { readonly ok: false; readonly message: string };

process.once('message', (m: BundleRequest) => {
  buildBundle(m.entry, m.outDir, m.options, m.esbuild).then(
    (built) => reply({ ok: true, built }),
    (e: unknown) => reply({ ok: false, message: bundleErrorText(e) }),
  );
});

function reply(message: BundleReply): void {
  process.send!(message, undefined, undefined, () => process.exit(0));
}
