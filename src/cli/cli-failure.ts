/**
 * How a CLI command reports that it refused or could not do something: an exit code and the
 * lines for standard error. 1: bad input or refused; 2: configuration error.
 */
export const EXIT_OK = 0;
export const EXIT_REFUSED = 1;
export const EXIT_CONFIG = 2;

export class CliFailure extends Error {
  constructor(
    readonly exitCode: number,
    readonly lines: readonly string[],
  ) {
    super(lines.join('\n'));
    this.name = 'CliFailure';
  }
}

/** What to do next, per error code; `{x}` placeholders are filled from the command's context. */
const HINTS: Readonly<Record<string, string>> = {
  tenant_name_invalid: 'Choose a name of 1 to 100 characters.',
  domain_invalid: 'Give each domain like --domain example.com.',
  tenant_exists: 'Choose another name; see existing tenants with: sspr tenant list',
  domain_taken: 'See which tenant has it with: sspr tenant list',
  tenant_not_found: 'See the tenants with: sspr tenant list',
  login_invalid: 'Give the user ID as name@domain, e.g. ada@example.com.',
  login_taken: 'Choose another user ID; see existing ones with: sspr user list --search {login}',
  display_name_invalid: 'Pass a display name with --name "First Last".',
  account_not_found: 'Check the user ID with: sspr user list --search {login}',
  method_kind_invalid: 'Use: sspr user set-method <login> email|phone <value>',
  email_invalid: 'Give an address like name@example.com.',
  phone_invalid: 'Give a mobile number with its country code, like +447700900123.',
  password_too_short: 'Pass a longer password on standard input.',
  password_too_long: 'Pass a shorter password on standard input.',
  password_common: 'Pass a password that is not a common one on standard input; a few unrelated words work well.',
  password_personal: 'Pass a password without names, user IDs or company names on standard input.',
  password_repetitive: 'Pass a password without repeated characters or patterns on standard input.',
  password_reused: 'Pass a password the account has not used recently on standard input.',
};

/** Turns a refused `Result` into a one-line message with what is wrong and what to do. */
export function refused(
  r: { readonly error: string; readonly detail?: string },
  context: Readonly<Record<string, string>> = {},
  hint?: string,
): CliFailure {
  const what = oneLine(r.detail ?? r.error);
  const todo = (hint ?? HINTS[r.error] ?? '').replace(/\{(\w+)\}/g, (_, k: string) => context[k] ?? `<${k}>`);
  return new CliFailure(EXIT_REFUSED, [`error: ${what}${todo ? ` ${todo}` : ''} (${r.error})`]);
}

export function oneLine(s: string): string {
  return s.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ').trim();
}
