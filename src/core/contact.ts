import { err, ok, type Result } from './result.ts';

/**
 * Contact methods a person registers to prove who they are: an alternate email and a mobile
 * phone in E.164 form. Values are validated strictly (no CR/LF, no spaces) because they end up
 * in message headers and provider requests.
 */
export type MethodKind = 'email' | 'phone';
export const METHOD_KINDS: readonly MethodKind[] = ['email', 'phone'];

export type ContactError = 'email_invalid' | 'phone_invalid';

const EMAIL_SHAPE =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function normalizeEmail(input: string): Result<string, ContactError> {
  const value = input.normalize('NFKC').trim();
  if (!EMAIL_SHAPE.test(value))
    return err('email_invalid', `"${printable(input)}" is not an email address like name@example.com.`);
  const at = value.lastIndexOf('@');
  return ok(value.slice(0, at) + '@' + value.slice(at + 1).toLowerCase());
}

const E164 = /^\+[1-9][0-9]{6,14}$/;

/** Accepts `+44 7700 900123`, `+44-7700-900123` or `+447700900123`; stores `+447700900123`. */
export function normalizePhone(input: string): Result<string, ContactError> {
  // separators people type are dropped; a control character (CR/LF…) anywhere refuses the value
  const value = /\p{Cc}/u.test(input.trim())
    ? ''
    : input
        .normalize('NFKC')
        .trim()
        .replace(/[ \u00a0().-]/g, '');
  if (!E164.test(value)) {
    return err(
      'phone_invalid',
      `"${printable(input)}" is not a mobile number in international form like +447700900123.`,
    );
  }
  return ok(value);
}

export function normalizeMethod(kind: MethodKind, input: string): Result<string, ContactError> {
  return kind === 'email' ? normalizeEmail(input) : normalizePhone(input);
}

/** `a••••@example.com`: the first letter and the domain, always four dots (the length is not revealed). */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return `${email.slice(0, 1)}••••${email.slice(at)}`;
}

/** `••• ••• ••23`: the last two digits only. */
export function maskPhone(phone: string): string {
  return `••• ••• ••${phone.slice(-2)}`;
}

export function maskMethod(kind: MethodKind, value: string): string {
  return kind === 'email' ? maskEmail(value) : maskPhone(value);
}

/** Shows control characters visibly in error messages instead of echoing them raw. */
function printable(s: string): string {
  const clipped = s.length > 80 ? `${s.slice(0, 80)}…` : s;
  return clipped.replace(/\p{C}/gu, '�');
}
