import { Readable } from 'node:stream';
import type { Sharp } from 'sharp';
import { invalidField } from '../domain/issues.js';
import type { MediaStore } from '../storage/store.js';
import { MAX_PIXELS, type Variant } from './poster.js';

/** The square sizes an avatar is served at; any other width is a 422. */
export const AVATAR_WIDTHS = [64, 128, 256] as const;
export type AvatarWidth = (typeof AVATAR_WIDTHS)[number];
/** What a URL without `w` gets. */
export const DEFAULT_AVATAR_WIDTH: AvatarWidth = 256;
/** At most this many bytes uploaded (README, Limits). */
export const AVATAR_MAX_BYTES = 5 * 1024 * 1024;

export function avatarVariant(width: AvatarWidth, format: 'jpeg' | 'webp'): string {
  return `w${width}.${format === 'jpeg' ? 'jpg' : 'webp'}`;
}

export interface ProcessedAvatar {
  /** Of the uploaded image, upright. */
  width: number;
  height: number;
  variants: Record<string, Variant>;
}

/**
 * Decodes an uploaded image once and stores its square crops at 64, 128 and 256 pixels, each as
 * JPEG and WebP: the centre of the image, upright (EXIF orientation applied), re-encoded so no
 * metadata (EXIF, GPS, XMP) survives. The centre, not a "smart" crop, so the preview the web
 * client shows before the upload is exactly what everyone will see. A small image is enlarged to
 * fill the square rather than served at a size the page did not ask for.
 */
export async function processAvatar(file: string, store: MediaStore, keyOf: (variant: string) => string): Promise<ProcessedAvatar> {
  const { default: sharp } = await import('sharp');
  let width: number;
  let height: number;
  try {
    const meta = await sharp(file).metadata();
    const turned = (meta.orientation ?? 1) >= 5; // 90° or 270°: width and height swap
    width = (turned ? meta.height : meta.width) ?? 0;
    height = (turned ? meta.width : meta.height) ?? 0;
  } catch {
    throw invalidField(['body', 'file'], 'image_undecodable');
  }
  if (width * height > MAX_PIXELS) throw invalidField(['body', 'file'], 'image_too_large', { max_megapixels: MAX_PIXELS / 1_000_000 });

  const square = (size: number): Sharp =>
    sharp(file, { limitInputPixels: MAX_PIXELS, failOn: 'error' }).rotate().resize({ width: size, height: size, fit: 'cover', position: 'centre' });
  const encode = { jpeg: (img: Sharp) => img.flatten({ background: '#ffffff' }).jpeg({ quality: 85, mozjpeg: true }), webp: (img: Sharp) => img.webp({ quality: 82 }) };
  // The largest JPEG first, to a buffer: it decodes every pixel, so a corrupt image fails here,
  // before anything is stored.
  let first: Buffer;
  try {
    first = await encode.jpeg(square(AVATAR_WIDTHS.at(-1)!)).toBuffer();
  } catch {
    throw invalidField(['body', 'file'], 'image_undecodable');
  }
  const variants: Record<string, Variant> = {};
  const firstName = avatarVariant(AVATAR_WIDTHS.at(-1)!, 'jpeg');
  variants[firstName] = { ...(await store.put(keyOf(firstName), Readable.from([first]))), type: 'image/jpeg' };
  for (const format of ['jpeg', 'webp'] as const) {
    for (const size of AVATAR_WIDTHS) {
      const name = avatarVariant(size, format);
      if (variants[name]) continue;
      const stored = await store.put(keyOf(name), encode[format](square(size)));
      variants[name] = { size: stored.size, type: format === 'jpeg' ? 'image/jpeg' : 'image/webp' };
    }
  }
  return { width, height, variants };
}
