import { Readable } from 'node:stream';
import type { Metadata, OutputInfo, Sharp } from 'sharp';
import { invalidField } from '../domain/issues.js';
import type { MediaStore } from '../storage/store.js';

export const POSTER_WIDTHS = [160, 320, 640] as const;
export type PosterWidth = (typeof POSTER_WIDTHS)[number];
export const MAX_PIXELS = 50_000_000;

export interface Variant {
  size: number;
  type: string;
}

export interface ProcessedPoster {
  width: number;
  height: number;
  variants: Record<string, Variant>;
}

/** The stored copy for a width (or the full size) in a format. */
export function posterVariant(width: PosterWidth | undefined, format: 'jpeg' | 'webp'): string {
  return `${width === undefined ? 'full' : `w${width}`}.${format === 'jpeg' ? 'jpg' : 'webp'}`;
}

const ENCODE = {
  jpeg: (img: Sharp) => img.flatten({ background: '#ffffff' }).jpeg({ quality: 82, mozjpeg: true }),
  webp: (img: Sharp) => img.webp({ quality: 80 }),
} as const;

/**
 * Decodes an uploaded image once and writes every copy Butaca serves: the full size and widths
 * 160, 320 and 640, each as JPEG and WebP. Re-encoding turns the image upright (EXIF orientation)
 * and leaves its metadata behind (EXIF, GPS, XMP), since sharp writes none unless asked. Each
 * copy goes to the store at `keyOf(its variant name)`.
 */
export async function processPoster(file: string, store: MediaStore, keyOf: (variant: string) => string): Promise<ProcessedPoster> {
  // Loaded on the first poster rather than at start: libvips is a tenth of the cold start.
  const { default: sharp } = await import('sharp');
  const input = (): Sharp => sharp(file, { limitInputPixels: MAX_PIXELS, failOn: 'error' }).rotate();
  let meta: Metadata;
  try {
    meta = await sharp(file).metadata();
  } catch {
    throw invalidField(['body', 'file'], 'image_undecodable');
  }
  const pixels = (meta.width ?? 0) * (meta.height ?? 0);
  if (pixels > MAX_PIXELS) {
    throw invalidField(['body', 'file'], 'image_too_large', { max_megapixels: MAX_PIXELS / 1_000_000 });
  }

  // The full-size JPEG first: it decodes every pixel, so a corrupt image fails here, before any copy is stored.
  let full: { data: Buffer; info: OutputInfo };
  try {
    full = await ENCODE.jpeg(input()).toBuffer({ resolveWithObject: true });
  } catch {
    throw invalidField(['body', 'file'], 'image_undecodable');
  }
  const variants: Record<string, Variant> = {};
  const fullName = posterVariant(undefined, 'jpeg');
  variants[fullName] = { ...(await store.put(keyOf(fullName), Readable.from([full.data]))), type: 'image/jpeg' };

  for (const format of ['jpeg', 'webp'] as const) {
    for (const width of [undefined, ...POSTER_WIDTHS]) {
      const name = posterVariant(width, format);
      if (variants[name]) continue;
      const image = width === undefined ? input() : input().resize({ width, withoutEnlargement: true });
      const stored = await store.put(keyOf(name), ENCODE[format](image));
      variants[name] = { size: stored.size, type: format === 'jpeg' ? 'image/jpeg' : 'image/webp' };
    }
  }
  return { width: full.info.width, height: full.info.height, variants };
}
