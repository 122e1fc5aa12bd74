/**
 * Module authors write TypeScript and never build it: a command that loads modules into this
 * process (`node`, `dev`, `cluster up`) registers tsx's loader first. Only those commands pay for
 * it; the CLI's own code is built JavaScript (dist/) and needs no loader.
 */

/** Set by bin/insights.js when it runs the sources under tsx (no build yet): nothing more to register. */
export const TSX_REGISTERED = Symbol.for('insights.cli.tsx-registered');

let registered: Promise<void> | undefined;

/** Registers tsx once per process (a no-op under tsx or vitest, which load TypeScript already). */
export function enableTypeScriptModules(): Promise<void> {
  if ((globalThis as Record<symbol, unknown>)[TSX_REGISTERED] === true) return Promise.resolve();
  return (registered ??= import('tsx/esm/api').then(({ register }) => {
    register();
    (globalThis as Record<symbol, unknown>)[TSX_REGISTERED] = true;
  }));
}

/** Wraps a command's action so it runs with TypeScript modules loadable. */
export function withTypeScriptModules<A extends unknown[]>(action: (...args: A) => Promise<void>) {
  return async (...args: A): Promise<void> => {
    await enableTypeScriptModules();
    await action(...args);
  };
}
