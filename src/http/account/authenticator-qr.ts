import type QRCodeModule from 'qrcode';

/** node-qrcode, loaded when the first QR code is drawn (enrolling an authenticator app), once. */
let loaded: Promise<typeof QRCodeModule> | null = null;

/**
 * The QR code of an `otpauth://` URI as SVG markup, rendered on the server (node-qrcode): the page
 * inlines it, so no script, no image route and no inline style are needed under the strict CSP
 * (the SVG carries presentation attributes only). Error correction M, the quiet zone of 4 modules.
 */
export async function qrSvg(uri: string): Promise<string> {
  const QRCode = await (loaded ??= import('qrcode').then((m) => m.default));
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
}
