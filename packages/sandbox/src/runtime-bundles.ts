/**
 * The sandbox runtime's own entry points, bundled once per output folder and node process:
 * `child` runs a module (child-main.ts), `probe` only reports its manifest (probe-main.ts).
 */
import { bundleOwnEntry, type Bundle } from './bundler.ts';

export function bundleSandboxRuntime(outDir: string, which: 'child' | 'probe'): Promise<Bundle> {
  return bundleOwnEntry(outDir, new URL(`./${which}-main.ts`, import.meta.url), `sandbox-${which}`);
}
