import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  messageKind,
  NOTICE_LIMIT,
  noticeRefusal,
  sendingRefusal,
  SMS_NOTICE_LIMIT,
  smsCountryAllowed,
  smsNoticeRefusal,
  type SendingRequest,
} from '../../src/core/sending-limits.ts';
import { DEFAULT_RESET_POLICY as P } from '../../src/core/reset-policy.ts';

const TENANT = { smsDailyBudget: 3, smsCountries: ['+1', '+44'] };
type SmsRequest = Extract<SendingRequest, { channel: 'sms' }>;
const sms = (over: Partial<SmsRequest> = {}): SmsRequest => ({
  channel: 'sms',
  to: '+15555550101',
  accountSms: 0,
  tenantSms: 0,
  tenant: TENANT,
  ...over,
});

test('emails: the 10th email of the window goes out, the 11th is refused as account_email_limit', () => {
  assert.equal(P.maxEmailsPerAccount, 10);
  assert.equal(sendingRefusal(P, { channel: 'email', accountEmails: 9 }), null);
  assert.equal(sendingRefusal(P, { channel: 'email', accountEmails: 10 }), 'account_email_limit');
  assert.equal(sendingRefusal(P, { channel: 'email', accountEmails: 11 }), 'account_email_limit');
});

test('SMS at each limit: 5 per account per day, the tenant budget, the country list', () => {
  assert.equal(P.maxSmsPerAccountPerDay, 5);
  const rows: [string, SendingRequest, string | null][] = [
    ['all under', sms({ accountSms: 4, tenantSms: 2 }), null],
    ['account at its limit', sms({ accountSms: 5 }), 'account_sms_limit'],
    ['tenant at its budget', sms({ tenantSms: 3 }), 'tenant_sms_budget'],
    ['tenant one under its budget', sms({ tenantSms: 2 }), null],
    ['country not on the list', sms({ to: '+33612345678' }), 'sms_country_not_allowed'],
    ['no list: every country', sms({ to: '+33612345678', tenant: { ...TENANT, smsCountries: null } }), null],
  ];
  for (const [what, req, expected] of rows) assert.equal(sendingRefusal(P, req), expected, what);
});

test('one fixed order: country first, then the account limit, then the tenant budget', () => {
  const everything = sms({ to: '+33612345678', accountSms: 9, tenantSms: 9 });
  assert.equal(sendingRefusal(P, everything), 'sms_country_not_allowed');
  assert.equal(sendingRefusal(P, { ...everything, to: '+15555550101' }), 'account_sms_limit');
  assert.equal(sendingRefusal(P, { ...everything, to: '+15555550101', accountSms: 0 }), 'tenant_sms_budget');
});

test('the country list matches number prefixes', () => {
  assert.equal(smsCountryAllowed({ smsCountries: ['+44'] }, '+447700900123'), true);
  assert.equal(smsCountryAllowed({ smsCountries: ['+44'] }, '+4917612345678'), false);
  assert.equal(smsCountryAllowed({ smsCountries: [] }, '+447700900123'), false);
});

test('a message with a lifetime is a code or link, one without is a notice', () => {
  assert.equal(messageKind({ expiresAt: 1_700_000_600_000 }), 'code');
  assert.equal(messageKind({ expiresAt: null }), 'notice');
});

test('notices have their own cap, above the code limit: the 30th notice of the window goes out, the 31st is refused', () => {
  assert.equal(NOTICE_LIMIT.max, 30);
  assert.equal(NOTICE_LIMIT.windowMs, 10 * 60_000);
  assert.ok(NOTICE_LIMIT.max > P.maxEmailsPerAccount);
  assert.equal(noticeRefusal(NOTICE_LIMIT.max - 1), null);
  assert.equal(noticeRefusal(NOTICE_LIMIT.max), 'account_notice_limit');
});

test('SMS notices: the country first, then 5 per account per day, then the tenant budget (codes and notices alike)', () => {
  const n = (over: Partial<Parameters<typeof smsNoticeRefusal>[0]> = {}) =>
    smsNoticeRefusal({ to: '+15555550101', accountNotices: 0, tenantSms: 0, tenant: TENANT, ...over });
  assert.equal(SMS_NOTICE_LIMIT.max, 5);
  assert.equal(SMS_NOTICE_LIMIT.windowMs, 24 * 3_600_000);
  assert.equal(n(), null);
  assert.equal(n({ accountNotices: SMS_NOTICE_LIMIT.max - 1 }), null);
  assert.equal(n({ accountNotices: SMS_NOTICE_LIMIT.max }), 'account_sms_notice_limit');
  assert.equal(n({ tenantSms: TENANT.smsDailyBudget - 1 }), null);
  assert.equal(n({ tenantSms: TENANT.smsDailyBudget }), 'tenant_sms_budget');
  assert.equal(n({ to: '+33612345678', accountNotices: 99, tenantSms: 99 }), 'sms_country_not_allowed');
  assert.equal(n({ accountNotices: 99, tenantSms: 99 }), 'account_sms_notice_limit', 'the account before the tenant');
});
