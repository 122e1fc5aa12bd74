import { Resvg } from '@resvg/resvg-js';

/**
 * Rasterises an SVG document to PNG bytes with resvg (a prebuilt binary from the npm registry,
 * no compiler needed): exact, fast, and the same fonts as the SVG asks for, from the system.
 */
export function svgToPng(svg: string, options: { scale?: number } = {}): Uint8Array {
  const r = new Resvg(svg, {
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    ...(options.scale === undefined ? {} : { fitTo: { mode: 'zoom' as const, value: options.scale } }),
  });
  return r.render().asPng();
}
