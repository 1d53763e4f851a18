import type Sharp from 'sharp';
import { err, ok, type Result } from '../../core/result.ts';
import { LOGO_BOX, LOGO_PROBLEMS, problemText, type LogoFormat } from '../../core/tenant-look.ts';
import type { LogoImages, ReencodedLogo } from '../../ports/logo-images.ts';

/** Decoding stops beyond this many pixels (a small file can claim a huge image: a decompression bomb). */
const MAX_INPUT_PIXELS = 4096 * 4096;

const NOT_IMAGE = problemText(LOGO_PROBLEMS.logo_not_image);

/**
 * sharp (libvips, ~6 MiB of shared libraries and its own start-up) is loaded on the first logo an
 * administrator uploads, once, not when the service starts: most processes never re-encode one.
 */
let loaded: Promise<typeof Sharp> | null = null;
const loadSharp = (): Promise<typeof Sharp> => (loaded ??= import('sharp').then((m) => m.default));

/**
 * Logos through sharp (libvips, in libuv's thread pool: off the event loop): decoded strictly as
 * the format the bytes claim, turned upright by their EXIF orientation, fitted into 480×160
 * (never enlarged), and written as a new 8-bit PNG. sharp writes no metadata unless asked, so
 * EXIF, ICC comments, text chunks and anything hidden after the image are gone.
 */
export class SharpLogoImages implements LogoImages {
  async reencode(bytes: Uint8Array, format: LogoFormat): Promise<Result<ReencodedLogo, 'logo_not_image'>> {
    // outside the try: a sharp that cannot load is a fault of the installation (500), not a bad image
    const sharp = await loadSharp();
    try {
      const input = sharp(bytes, { failOn: 'error', limitInputPixels: MAX_INPUT_PIXELS, animated: false });
      const meta = await input.metadata();
      if (meta.format !== format || (meta.pages ?? 1) > 1) return err('logo_not_image', NOT_IMAGE);
      const { data, info } = await input
        .rotate()
        .resize({ width: LOGO_BOX.width, height: LOGO_BOX.height, fit: 'inside', withoutEnlargement: true })
        .png({ compressionLevel: 9 })
        .toBuffer({ resolveWithObject: true });
      return ok({ png: new Uint8Array(data), width: info.width, height: info.height });
    } catch {
      // libvips refuses what it cannot decode (truncated, corrupt, over the pixel limit)
      return err('logo_not_image', NOT_IMAGE);
    }
  }
}
