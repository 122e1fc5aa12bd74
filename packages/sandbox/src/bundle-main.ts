/**
 * Entry point of the bundler's own process (bundle-process.ts): bundles one module and reports
 * the result. It starts with an empty environment, so nothing a module's code or config can make
 * esbuild read at bundle time (`process.env`, `define`) holds the node's secrets.
 */
import { bundle, bundleErrorText, type BundleOptions } from './bundler.ts';

export interface BundleRequest {
  readonly entry: string;
  readonly outDir: string;
  readonly options: BundleOptions;
}

process.once('message', (m: BundleRequest) => {
  bundle(m.entry, m.outDir, m.options).then(
    (b) => reply({ ok: true, bundle: b }),
    (e: unknown) => reply({ ok: false, message: bundleErrorText(e) }),
  );
});

function reply(message: unknown): void {
  process.send!(message, undefined, undefined, () => process.exit(0));
}
