/**
 * How many segments (billed messages) a text message takes, with the real encoding rules of
 * GSM 03.38 / 3GPP TS 23.038: a text made only of the GSM 7-bit default alphabet goes as GSM-7
 * (160 septets in one segment, 153 per segment when split; a character of the extension table
 * such as `€ [ ] { } ^ ~ | \` takes two septets, its escape and itself); any other character
 * (`ç`, `ã`, a Japanese or Arabic letter, a typographic quote) makes the whole text UCS-2 (70
 * UTF-16 code units in one segment, 67 when split). Pure.
 */

/** The GSM 7-bit default alphabet (0x1B, the escape to the extension table, left out). */
const GSM_BASIC = new Set([
  ...'@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
]);
/** The basic extension table: each counts as two septets. */
const GSM_EXTENSION = new Set([...'\f^{}\\[~]|€']);

export interface SmsSegments {
  readonly encoding: 'GSM-7' | 'UCS-2';
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  readonly units: number;
  readonly segments: number;
  /** The first character that is not in the GSM alphabet (why the text went UCS-2), if any. */
  readonly firstNonGsm: string | null;
}

export const GSM7_SINGLE = 160;
export const GSM7_MULTI = 153;
export const UCS2_SINGLE = 70;
export const UCS2_MULTI = 67;

export function smsSegments(text: string): SmsSegments {
  let septets = 0;
  let firstNonGsm: string | null = null;
  for (const c of text) {
    if (GSM_BASIC.has(c)) septets += 1;
    else if (GSM_EXTENSION.has(c)) septets += 2;
    else {
      firstNonGsm = c;
      break;
    }
  }
  if (firstNonGsm === null) {
    const segments = septets === 0 ? 1 : septets <= GSM7_SINGLE ? 1 : Math.ceil(septets / GSM7_MULTI);
    return { encoding: 'GSM-7', units: septets, segments, firstNonGsm };
  }
  const units = text.length; // UTF-16 code units: a character outside the BMP counts as two
  const segments = units <= UCS2_SINGLE ? 1 : Math.ceil(units / UCS2_MULTI);
  return { encoding: 'UCS-2', units, segments, firstNonGsm };
}
