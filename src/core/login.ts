import { err, ok, type Result } from './result.ts';

/**
 * A login is a user principal name: `local@domain`. Logins are compared after Unicode NFKC
 * normalisation, trimming and lower-casing, so `ＡＤＡ@Example.com` and `ada@example.com` are the
 * same person. Anything with white space or control characters inside is refused rather than
 * silently altered.
 */
export type LoginError = 'login_invalid';

const LOGIN_MAX = 254;
// local part: printable, no spaces, no @; domain: labels of letters/digits/hyphens (IDN already NFKC'd)
const LOGIN_SHAPE =
  /^[^\s@\p{C}]{1,64}@(?=.{1,253}$)[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?)+$/u;

export function normalizeLogin(input: string): Result<string, LoginError> {
  const value = input.normalize('NFKC').trim().toLowerCase();
  if (value.length === 0 || value.length > LOGIN_MAX || !LOGIN_SHAPE.test(value)) {
    return err('login_invalid', 'A user ID looks like name@company.com.');
  }
  return ok(value);
}

/** The domain part of an already normalised login. */
export function domainOf(normalizedLogin: string): string {
  return normalizedLogin.slice(normalizedLogin.lastIndexOf('@') + 1);
}

export type DomainError = 'domain_invalid';
const DOMAIN_SHAPE =
  /^(?=.{1,253}$)[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?)+$/u;

export function normalizeDomain(input: string): Result<string, DomainError> {
  const value = input.normalize('NFKC').trim().toLowerCase().replace(/\.$/, '');
  return DOMAIN_SHAPE.test(value)
    ? ok(value)
    : err('domain_invalid', `"${input.replace(/\p{C}/gu, '�').slice(0, 80)}" is not a domain name like example.com.`);
}
