import type { Result } from '../core/result.ts';
import type { LogoFormat } from '../core/tenant-look.ts';

/** A logo decoded and written again as a fresh PNG: no metadata, fitted into the logo box. */
export interface ReencodedLogo {
  readonly png: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/**
 * Decodes an uploaded logo that `sniffLogo` took for `format` and re-encodes it as PNG. Refuses
 * (`logo_not_image`) anything that does not decode as that format, is animated, or is larger
 * than the decoder's pixel limit. Off the event loop.
 */
export interface LogoImages {
  reencode(bytes: Uint8Array, format: LogoFormat): Promise<Result<ReencodedLogo, 'logo_not_image'>>;
}
