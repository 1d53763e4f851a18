/* global document, window */
// Progressive enhancement for the reset pages: keeps "in N minutes" current. The pages work the
// same without it. The words come from the page (data attributes), which takes them from the
// server's text catalogue; the clock times stay as the server wrote them (the person's language,
// the tenant's time zone, the zone named).

/**
 * The form for `n` among a message's plural forms (`data-in-forms`: `{"one": "in {minutes}
 * minute", "few": …, "other": …}`): `=n`, else the category Intl.PluralRules gives `n` in the
 * page's language, else `other`; the number written as Intl writes it there. The same choice as
 * core/i18n.ts pickPluralForm.
 */
function pickPluralForm(forms, n, lang) {
  const form = forms['=' + n] ?? forms[new Intl.PluralRules(lang).select(n)] ?? forms.other ?? '';
  return form.split('{minutes}').join(new Intl.NumberFormat(lang).format(n));
}

function update(el) {
  const deadline = Number(el.dataset.deadline);
  if (!Number.isFinite(deadline)) return;
  const minutes = Math.ceil((deadline - Date.now()) / 60_000);
  const left = el.parentElement?.querySelector('.time-left');
  if (!left) return;
  if (minutes <= 0) left.textContent = el.dataset.inSoon;
  else if (minutes === 1) left.textContent = el.dataset.inOne;
  else {
    let forms;
    try {
      forms = JSON.parse(el.dataset.inForms ?? '{}');
    } catch {
      return;
    }
    const lang = document.documentElement.lang === 'en-XA' ? 'en' : document.documentElement.lang || 'en';
    left.textContent = pickPluralForm(forms, minutes, lang);
  }
}

for (const el of document.querySelectorAll('time[data-deadline]')) {
  update(el);
  window.setInterval(() => update(el), 15_000);
}
