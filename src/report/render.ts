// SVG to PNG with resvg (Rust, prebuilt; no browser, no native build). resvg draws text only with
// fonts it can load, so it takes the system's fonts and names DejaVu Sans (Debian's
// fonts-dejavu-core, which CI installs) for the generic families the plots and diagrams ask for.
import { existsSync } from 'node:fs';
import { loadResvg } from './engines.js';

const DEJAVU_FILES = ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts/TTF/DejaVuSans.ttf', '/usr/share/fonts/dejavu/DejaVuSans.ttf'];

let fontFamily: string | undefined | null = null;

/** 'DejaVu Sans' where it is installed; otherwise undefined, and resvg takes the first system font. */
function preferredFont(): string | undefined {
  if (fontFamily === null) fontFamily = DEJAVU_FILES.some((f) => existsSync(f)) ? 'DejaVu Sans' : undefined;
  return fontFamily;
}

export interface Raster {
  png: Uint8Array;
  width: number;
  height: number;
  /** RGBA, row by row. */
  pixels: Uint8Array;
}

/** Draws `svg` at `scale` times its size on a white background. */
export async function rasterize(svg: string, scale = 2): Promise<Raster> {
  const { Resvg } = await loadResvg();
  const family = preferredFont();
  const image = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    logLevel: 'error',
    font: {
      loadSystemFonts: true,
      ...(family ? { defaultFontFamily: family, sansSerifFamily: family } : {}),
    },
  }).render();
  return { png: image.asPng(), width: image.width, height: image.height, pixels: image.pixels };
}

export async function svgToPng(svg: string, scale = 2): Promise<Uint8Array> {
  return (await rasterize(svg, scale)).png;
}
