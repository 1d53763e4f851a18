import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LOCALES } from '../../src/core/i18n.ts';
import { renderSms, SMS_TEMPLATE_IDS, type SmsTemplateId } from '../../src/core/message-templates.ts';
import { smsSegments } from '../../src/core/sms-segments.ts';

describe('smsSegments (GSM 03.38)', () => {
  it('counts the GSM 7-bit alphabet as one septet each: 160 fit one segment, 161 take two of 153', () => {
    assert.deepEqual(smsSegments('a'.repeat(160)), { encoding: 'GSM-7', units: 160, segments: 1, firstNonGsm: null });
    assert.equal(smsSegments('a'.repeat(161)).segments, 2);
    assert.equal(smsSegments('a'.repeat(306)).segments, 2);
    assert.equal(smsSegments('a'.repeat(307)).segments, 3);
    assert.equal(smsSegments('@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà').encoding, 'GSM-7');
  });

  it('counts the extension table as two septets', () => {
    assert.deepEqual(smsSegments('€'), { encoding: 'GSM-7', units: 2, segments: 1, firstNonGsm: null });
    assert.equal(smsSegments('[]{}^~|\\').units, 16);
    assert.equal(smsSegments('a'.repeat(159) + '€').segments, 2, '159 + 2 septets = 161');
    assert.equal(smsSegments('a'.repeat(158) + '€').segments, 1);
  });

  it('any character outside GSM-7 makes the whole text UCS-2: 70 code units in one segment, 67 when split', () => {
    for (const c of ['ç', 'ã', 'ê', 'á', 'í', 'ó', 'ú', '’', '“', 'パ', 'ع', '\u200f']) {
      assert.equal(smsSegments(`code ${c}`).encoding, 'UCS-2', c);
    }
    assert.equal(smsSegments('ç'.repeat(70)).segments, 1);
    assert.equal(smsSegments('ç'.repeat(71)).segments, 2);
    assert.equal(smsSegments('ç'.repeat(134)).segments, 2);
    assert.equal(smsSegments('ç'.repeat(135)).segments, 3);
    assert.equal(smsSegments('😀'.repeat(35)).units, 70, 'outside the BMP: two code units each');
  });
});

const SAMPLES: Record<SmsTemplateId, readonly object[]> = {
  'reset.sms': [1, 2, 3, 5, 10, 11, 15, 30, 60].map((minutes) => ({ code: '004211', minutes })),
  'security-info.sms': [1, 2, 3, 5, 10, 11, 15, 30, 60].map((minutes) => ({
    displayName: 'Ada Lovelace',
    code: '004211',
    minutes,
  })),
  'caller.notice_sms': [{}],
  'caller.factor_notice_sms': [{}],
  'security-info.strong_added_sms': [{ kind: 'authenticator' }, { kind: 'passkey' }],
  'caller.sms': [1, 2, 3, 5, 10, 11, 15, 30, 60].map((minutes) => ({
    displayName: 'Ada Lovelace',
    code: '004211',
    minutes,
  })),
  // every month: a month name outside GSM-7 would turn a text into UCS-2
  'test.message': Array.from({ length: 12 }, (_, m) => ({
    when: new Date(Date.UTC(2025, m, 28, 23, 59)).toISOString(),
  })),
};

/** Text-message notices: no code, no expiry. */
const NOTICES = new Set<SmsTemplateId>([
  'test.message',
  'caller.notice_sms',
  'caller.factor_notice_sms',
  'security-info.strong_added_sms',
]);

describe('every SMS template in every locale', () => {
  it('fits one segment (GSM-7 for the Latin-script languages, UCS-2 for Japanese and Arabic) with the code and the expiry', () => {
    const report: string[] = [];
    for (const locale of LOCALES) {
      for (const id of SMS_TEMPLATE_IDS) {
        let longest = 0;
        let encoding = '';
        for (const params of SAMPLES[id]) {
          const body = renderSms(id, params as never, locale).body;
          const s = smsSegments(body);
          assert.equal(s.segments, 1, `${locale} ${id}: ${s.units} ${s.encoding} units: ${body}`);
          const expected = locale === 'ja' || locale === 'ar' ? 'UCS-2' : 'GSM-7';
          assert.equal(s.encoding, expected, `${locale} ${id}: "${s.firstNonGsm}" is not GSM-7: ${body}`);
          // notices carry no code and no expiry
          if (!NOTICES.has(id)) {
            assert.ok(body.includes('004211'), `${locale} ${id}: the code`);
            const minutes = (params as { minutes: number }).minutes;
            if (minutes > 2) assert.ok(body.includes(String(minutes)), `${locale} ${id}: the expiry: ${body}`);
          }
          longest = Math.max(longest, s.units);
          encoding = s.encoding;
        }
        report.push(`${locale} ${id}: 1 segment, ${encoding}, longest ${longest} units`);
      }
    }
    console.log(report.join('\n'));
  });
});
