import QRCode from 'qrcode';

/**
 * The QR code of an `otpauth://` URI as SVG markup, rendered on the server (node-qrcode): the page
 * inlines it, so no script, no image route and no inline style are needed under the strict CSP
 * (the SVG carries presentation attributes only). Error correction M, the quiet zone of 4 modules.
 */
export function qrSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
}
