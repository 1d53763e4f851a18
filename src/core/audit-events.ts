/**
 * Every audit event type sspr writes: the one list the services' `appendAudit` / `appendSelfEvent`
 * accept (a type outside it does not compile), and the viewer labels (`admin.audit.event.<type>`
 * in every catalogue; test/core/audit-events.test.ts checks both, and scans src/ for the literals).
 * Pure.
 */
export const AUDIT_EVENT_TYPES = [
  // a person's reset flow (actor `self`)
  'reset.requested',
  'code.accepted',
  'code.rejected',
  'code.resent',
  'link.accepted',
  'link.rejected',
  'phone.submitted',
  'phone.rejected',
  'flow.use_phone',
  'flow.back_to_email',
  'flow.retype_phone',
  'flow.use_authenticator',
  'flow.use_passkey',
  'passkey.accepted',
  'passkey.rejected',
  'password.changed',
  'sessions.revoked',
  'account.self_service_blocked',
  'account.unlocked',
  // messages (actor `system`)
  'message.queued',
  'message.suppressed',
  'message.sent',
  'message.retry',
  'message.failed',
  'message.expired',
  // signing in
  'signin.succeeded',
  'signin.failed',
  'signin.throttled',
  'signout',
  // accounts and administration
  'tenant.created',
  'account.created',
  'account.updated',
  'account.enabled',
  'account.disabled',
  'account.role_changed',
  'account.password_set',
  'method.set',
  'admin.account_created',
  'admin.denied',
  'admin.method_prefilled',
  'admin.reset_link_sent',
  'admin.temp_password_set',
  'admin.self_service_unblocked',
  'admin.policy_updated',
  'admin.look_updated',
  'admin.logo_set',
  'admin.logo_removed',
  'assisted_link.redeemed',
  'audit.exported',
  'audit.verified',
  'audit.purged',
  'api_key.created',
  'api_key.revoked',
  // security info
  'security_info.changed',
  'security_info.code_sent',
  'security_info.confirmed',
  'security_info.rejected',
  'security_info.reconfirm_prompted',
  'security_info.authenticator_started',
  'security_info.authenticator_added',
  'security_info.authenticator_removed',
  'security_info.passkey_started',
  'security_info.passkey_added',
  'security_info.passkey_removed',
  // directories
  'directory.settings_changed',
  'directory.settings_removed',
  'directory.checked',
  'directory.synced',
  'directory.account_renamed',
  'directory.account_updated',
  'directory.method_seeded',
  'directory.write_refused',
  'directory.write_unrecorded',
  'directory.unlock_refused',
  // help requests and Technical Support
  'help.requested',
  'help.resolved',
  'help.dismissed',
  'support.reference_shown',
  // the help desk's caller verification and the reverse check (core/caller-verification.ts)
  'caller.verification_started',
  'caller.verified',
  'caller.verification_failed',
  'caller.approval_requested',
  'caller.approved',
  'caller.approval_refused',
  'caller.call_check_started',
  'caller.call_confirmed',
  'caller.call_unconfirmed',
  'support.verified',
  'support.resolved',
  'support.dismissed',
  'operator.created',
  'operator.signin',
  'operator.signout',
  // the consoles' second factor (core/console-factor.ts; actor `self` or the operator)
  'console.second_factor_passed',
  'console.second_factor_failed',
  'console.factor_registration_started',
  'console.factor_registered',
  'console.factor_removed',
  'console.recovery_code_used',
  'console.recovery_codes_issued',
  // an administrator reset another administrator's second factor (account-administration.ts)
  'admin.second_factor_reset',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

const KNOWN: ReadonlySet<string> = new Set(AUDIT_EVENT_TYPES);

/** Whether sspr writes events of this type (a type read from the log may be older or unknown). */
export function isAuditEventType(type: string): type is AuditEventType {
  return KNOWN.has(type);
}
