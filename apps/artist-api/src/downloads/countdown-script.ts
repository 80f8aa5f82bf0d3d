import { createHash } from 'node:crypto';

/**
 * Progressive enhancement of the download page: each `[data-countdown]` element (empty without JavaScript, the
 * date is printed beside it) shows the time left until its instant, every 30 seconds, and says when it is out.
 * Inline, allowed by its hash in the page's CSP (no script from anywhere else, no inline handler).
 * role="timer" on the elements keeps screen readers from announcing every change.
 */
export const COUNTDOWN_SCRIPT = `(function () {
  var els = document.querySelectorAll('[data-countdown]');
  if (!els.length) return;
  function unit(n, one) { return n + ' ' + one + (n === 1 ? '' : 's'); }
  function left(ms) {
    var m = Math.floor(ms / 60000), d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60), parts = [];
    if (d) parts.push(unit(d, 'day'));
    if (h) parts.push(unit(h, 'hour'));
    if (!d) parts.push(unit(m % 60, 'minute'));
    return parts.join(', ');
  }
  function tick() {
    var now = Date.now();
    els.forEach(function (el) {
      var ms = Date.parse(el.getAttribute('data-countdown')) - now;
      el.textContent = ms > 0 ? '(in ' + left(ms) + ')' : '(out now: reload this page)';
    });
  }
  tick();
  setInterval(tick, 30000);
})();`;

export const COUNTDOWN_SCRIPT_HASH = `'sha256-${createHash('sha256').update(COUNTDOWN_SCRIPT).digest('base64')}'`;
