/**
 * Every error code sspr answers with, once, and what it means. Services return these codes in
 * `Result` errors; the HTTP layer maps each to one status (`ERROR_STATUS` in src/http/errors.ts)
 * and the words a person reads come from the message catalogues (ui-text.ts and the views). A
 * code means the same thing wherever it appears. test/http/error-catalogue.test.ts checks that the
 * services' error unions, the status map and the API documentation name only codes listed here.
 */
export const ERROR_CODES = {
  // ---- requests (any route) --------------------------------------------------------------
  bad_request: 'The request could not be understood (malformed URL, body or length).',
  invalid_request: 'A field of the request is missing or not valid (schema validation).',
  unauthorized: 'No valid sign-in or API key came with the request.',
  forbidden: 'The caller may not do this.',
  csrf_invalid: 'The form expired or was sent from another page (CSRF token missing or wrong).',
  not_found: 'Nothing at this address, or no such resource in the caller’s organisation.',
  method_not_allowed: 'The address does not accept that HTTP method.',
  payload_too_large: 'The body is larger than the route accepts.',
  unsupported_media_type: 'The body is in a format the route does not accept.',
  rate_limited: 'Too many requests from this client in a short time.',
  internal_error: 'An unexpected failure on the server.',
  service_unavailable: 'A dependency (database, shared limits) does not answer; nothing was changed.',

  // ---- the reset flow --------------------------------------------------------------------
  login_invalid: 'The user ID is not a valid sign-in name (name@domain).',
  captcha_failed: 'The anti-robot check was missing, wrong or already used.',
  flow_not_found: 'No reset flow for this secret: missing, unknown or replaced by a newer one.',
  flow_expired: 'The reset flow’s time is over.',
  flow_completed: 'The reset flow already set a password.',
  wrong_step: 'The request does not fit the step the flow is at.',
  wrong_browser: 'The emailed link was opened without the secret of the flow it was sent to.',
  invalid_code: 'The one-time code is wrong (counted as a guess).',
  code_superseded: 'A newer code replaced this one (not counted as a guess).',
  code_malformed: 'The code is not six digits.',
  method_cooling_off:
    'The authenticator app or passkey was added recently and passes no reset gate before its cooling-off ends.',
  passkey_refused:
    'The passkey’s answer did not pass: a used or unknown challenge, a passkey of another account, a bad signature or a counter that did not increase.',
  sms_paused: 'Text message codes of the account are paused by a self-service block.',
  resend_too_soon: 'A code was just sent; the next may be asked for after the cool-down.',
  too_many_codes: 'As many codes as one flow allows have been sent.',
  sending_limit: 'The account’s or tenant’s sending limits are reached for now.',
  phone_invalid: 'The value is not a valid mobile number with its country code.',
  email_invalid: 'The value is not a valid email address.',
  password_mismatch: 'The two new passwords differ.',
  password_reused: 'The new password is one of the account’s recent passwords.',
  password_too_short: 'The new password is shorter than the policy allows.',
  password_too_long: 'The new password is longer than the policy allows.',
  password_common: 'The new password is on the list of common passwords.',
  password_personal: 'The new password contains the person’s name, login, address or company.',
  password_repetitive: 'The new password is made of repeats or a simple pattern.',

  // ---- the organisation's directory refused a new password (core/directory-refusals.ts) ---
  directory_too_short: 'The directory refused the new password: shorter than its minimum length.',
  directory_not_complex:
    'The directory refused the new password: not complex enough (character kinds, name parts, quality).',
  directory_in_history: 'The directory refused the new password: used before (its password history).',
  directory_too_young: 'The directory refused the change: the password was changed too recently (minimum age).',
  directory_locked: 'The directory refused the change: the account is locked after wrong passwords.',
  directory_disabled: 'The directory refused the change: the account is disabled there.',
  directory_must_change: 'The directory refused: the password must be changed at sign-in first.',
  directory_tls_required:
    'The directory requires an encrypted connection for password changes (a configuration problem).',
  directory_not_allowed: 'The service account may not change this password in the directory (a rights problem).',
  directory_unreachable: 'No directory server answered in time; nothing was changed.',
  directory_rejected:
    'The directory refused for another reason, or its settings cannot be used (diagnostic in the audit log).',

  // ---- security info ---------------------------------------------------------------------
  method_unchanged: 'The value is already the registered, verified one.',
  email_is_login: 'The alternate email is the sign-in address itself.',
  phone_country_not_allowed: 'The tenant sends no text messages to this country.',
  sms_unavailable: 'No SMS provider is configured, so a phone cannot be confirmed.',
  nothing_pending: 'Nothing is waiting for a code, or there is no method to re-confirm.',

  // ---- sign-in -----------------------------------------------------------------------------
  invalid_credentials: 'The user ID or password is wrong (one answer for both).',
  signin_throttled: 'Too many wrong passwords for this account; wait before trying again.',

  // ---- administration: who may do what to whom ---------------------------------------------
  other_tenant: 'The target belongs to another organisation (answered as not found).',
  self: 'Nobody may do this to their own account.',
  needs_global_admin: 'Only a global administrator may do this to an administrator’s account.',
  scope_missing: 'The API key lacks a scope this call needs.',
  not_allowed: 'The actor may not do this.',
  account_not_found: 'No such account (in the caller’s organisation).',
  not_directory_account:
    'The account’s password is kept by sspr, not a directory: there is no directory lock to clear.',
  no_methods: 'The account has no registered method to send to.',
  mode_not_allowed: 'The tenant’s policy does not allow this kind of assisted reset.',
  link_invalid: 'The assisted reset link is unknown, used or replaced.',
  link_expired: 'The assisted reset link’s time is over.',
  grant_invalid: 'The page’s permission to set the password is missing, used or expired.',
  caller_not_verified: 'The actor has not verified this account’s caller within the last 10 minutes.',
  approval_required: 'Technical Support acting on an administrator needs a second operator’s approval.',
  own_request: 'An operator may not approve their own request.',
  approval_not_found: 'No such approval request, or it was approved already or expired.',

  // ---- directory (CLI and console) ---------------------------------------------------------
  tenant_not_found: 'No such tenant.',
  tenant_name_invalid: 'The tenant name is empty, too long or has control characters.',
  tenant_exists: 'A tenant of that name exists.',
  domain_invalid: 'The domain is not a valid DNS name.',
  domain_taken: 'Another tenant has that domain.',
  display_name_invalid: 'The display name is empty, too long or has control characters.',
  role_invalid: 'The role is not one of user, admin, global_admin.',
  method_kind_invalid: 'The method kind is not email or phone.',
  login_taken: 'An account with that login exists.',
  account_invalid: 'A new account’s fields are refused (each field’s problem is given with it).',
  operator_login_invalid: 'The operator login is not valid.',
  import_header_invalid: 'The import file’s header row is missing or names unknown columns.',
  import_format_unknown: 'The import file’s format is not CSV or JSON Lines.',
  invalid_directory_settings: 'The directory settings are refused (each problem is named, one per line).',
  directory_not_configured: 'The organisation keeps its passwords in sspr: it has no directory settings.',
  look_invalid:
    'The organisation’s look is refused (each field’s problem is named, e.g. a colour without AA contrast).',
  host_taken: 'Another organisation already uses that address (host) for its look.',
  logo_empty: 'The logo upload is empty.',
  logo_too_large: 'The logo upload is larger than 256 KiB.',
  logo_not_image: 'The logo upload is not a PNG or JPEG image that decodes (SVG and other formats are refused).',

  // ---- help requests and support tickets ---------------------------------------------------
  message_missing: 'The help request has no message.',
  message_too_long: 'The help request’s message is too long.',
  request_not_found: 'No such help request in the caller’s organisation.',
  request_closed: 'The help request is already closed.',
  reason_missing: 'A reason is required to dismiss a request.',
  reason_too_long: 'The reason is too long.',
  ticket_not_found: 'No such support ticket.',
  ticket_closed: 'The support ticket is already closed.',
  note_missing: 'The verification note is empty.',
  note_too_long: 'The verification note is too long.',
  verification_required: 'The caller’s identity must be recorded as verified first.',
  target_invalid: 'The account to act on is not one of the ticket’s tenant.',
  already_admin: 'The account is already an administrator.',

  // ---- API keys ----------------------------------------------------------------------------
  name_invalid: 'The API key’s name is empty or too long.',
  scopes_missing: 'No scope was chosen for the API key.',
  scope_unknown: 'A scope is not one of the known scopes.',
  expiry_invalid: 'The expiry is not one of the offered choices.',
  key_not_found: 'No such API key in the organisation.',
  already_revoked: 'The API key was already revoked.',

  // ---- audit filter ------------------------------------------------------------------------
  from_invalid: 'The audit filter’s start date is not a date.',
  to_invalid: 'The audit filter’s end date is not a date.',
  range_reversed: 'The audit filter’s start is after its end.',

  // ---- internal ----------------------------------------------------------------------------
  transition_not_allowed: 'The reset state machine refused a move (a bug if it reaches a person).',
} as const satisfies Record<string, string>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}
