export {}; // a module for the type checker; esbuild serves it as a classic script (the sandboxed frame cannot load module scripts cross-origin)

/**
 * Runs inside a view's sandboxed iframe: renders the inert JSON spec with vega-embed, using the
 * CSP-safe expression interpreter (the frame's policy allows no eval).
 */
interface VegaGlobals {
  vegaEmbed(el: string, spec: unknown, opts: Record<string, unknown>): Promise<unknown>;
  vegaInterpreter: { expressionInterpreter: unknown };
}

const g = globalThis as unknown as VegaGlobals;
const spec = JSON.parse(document.getElementById('spec')?.textContent ?? '{}') as unknown;
g.vegaEmbed('#chart', spec, { actions: false, renderer: 'svg', ast: true, expr: g.vegaInterpreter.expressionInterpreter }).then(
  () => document.body.setAttribute('data-rendered', 'true'),
  (e: unknown) => {
    const p = document.getElementById('chart-error');
    if (p !== null) {
      p.textContent = `This chart could not be drawn: ${e instanceof Error ? e.message : String(e)}`;
      p.hidden = false;
    }
  },
);
