import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { initWasm, Resvg } from '@resvg/resvg-wasm';

/**
 * resvg compiled to WebAssembly (not the native addon of `@resvg/resvg-js`): modules run with
 * native addons refused, and the same renderer then works everywhere. The .wasm file and the
 * font are read from this package's own dependencies, once, when the module loads, so
 * `svgToPng` stays synchronous for view code. WebAssembly cannot see the system's fonts: charts
 * draw their text in DejaVu Sans, shipped by `dejavu-fonts-ttf`.
 */
const require = createRequire(import.meta.url);
await initWasm(new WebAssembly.Module(readFileSync(require.resolve('@resvg/resvg-wasm/index_bg.wasm'))));
const FONT = readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'));

/** Rasterises an SVG document to PNG bytes with resvg. */
export function svgToPng(svg: string, options: { scale?: number } = {}): Uint8Array {
  const r = new Resvg(svg, {
    font: { fontBuffers: [FONT], defaultFontFamily: 'DejaVu Sans', loadSystemFonts: false },
    ...(options.scale === undefined ? {} : { fitTo: { mode: 'zoom' as const, value: options.scale } }),
  });
  try {
    return r.render().asPng();
  } finally {
    r.free();
  }
}
