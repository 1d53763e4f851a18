/* global document, window */
// Progressive enhancement for the reset pages: shows the flow's deadline in the browser's own
// time zone and keeps "in N minutes" current. The pages work the same without it. The words come
// from the page (data attributes), which takes them from the server's text catalogue.

function update(el) {
  const deadline = Number(el.dataset.deadline);
  if (!Number.isFinite(deadline)) return;
  const minutes = Math.ceil((deadline - Date.now()) / 60_000);
  const left = el.parentElement?.querySelector('.time-left');
  if (left) {
    left.textContent =
      minutes <= 0
        ? el.dataset.inSoon
        : minutes === 1
          ? el.dataset.inOne
          : el.dataset.inMany.replace('{minutes}', String(minutes));
  }
}

// times in the reader's own zone, 24-hour clock (HH:MM or HH:MM:SS)
for (const el of document.querySelectorAll('time[data-local]')) {
  const at = new Date(el.getAttribute('datetime') ?? '');
  if (Number.isNaN(at.getTime())) continue;
  const options = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
  if (el.dataset.local === 'seconds') options.second = '2-digit';
  el.textContent = at.toLocaleTimeString([], options);
}

for (const el of document.querySelectorAll('time[data-deadline]')) {
  update(el);
  window.setInterval(() => update(el), 15_000);
}
