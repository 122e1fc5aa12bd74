/**
 * Entry point of a probe: a short-lived sandbox that loads a module only to report its manifest,
 * with no data folders granted. The host needs the module's name before it can grant the real
 * sandbox its own folders. Kept apart from child-main.ts so a probe does not load the database
 * engines (half of a sandbox's start-up time).
 */
import { loadModuleDefinition, buildManifest } from '@insights/runtime/internal';
import { openParentPort } from './child-port.ts';
import { lockdown } from './lockdown.ts';
import type { ParentBatch } from './protocol.ts';

const port = openParentPort();

port.onBatch((batch: ParentBatch) => {
  for (const m of batch) if (!(m instanceof Uint8Array) && m.type === 'init') void probe(m.bundle, m.addon);
});

async function probe(bundle: string, addon: string | undefined): Promise<void> {
  lockdown(port.isWorker, addon);
  try {
    const def = await loadModuleDefinition(bundle);
    port.post([{ type: 'ready', manifest: buildManifest(def).manifest }]);
    port.exit(0);
  } catch (e) {
    const cause = (e as { cause?: unknown }).cause;
    port.post([{ type: 'load-failed', message: cause instanceof Error ? cause.message : (e as Error).message }]);
    port.exit(1);
  }
}
