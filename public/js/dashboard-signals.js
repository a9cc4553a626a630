// The dashboard's bot-defence section, live: its counters and the challenge's state from every dashboard document.
(function () {
  'use strict'
  const root = document.getElementById('dashboard')
  const section = document.querySelector('[data-signals]')
  if (!root || !section) return
  const numbers = new Intl.NumberFormat(document.documentElement.lang || undefined)
  const set = function (name, value) {
    const el = section.querySelector('[data-signal="' + name + '"]')
    if (el && el.textContent !== value) el.textContent = value
  }
  root.addEventListener('dashboard-data', function (e) {
    const s = e.detail && e.detail.defence
    if (!s) return
    const state = s.active ? (s.mode === 'on' ? 'on' : 'auto-on') : (s.mode === 'auto' ? 'auto-waiting' : 'off')
    const stateEl = section.querySelector('[data-signal="state"]')
    if (stateEl && stateEl.getAttribute('data-state') !== state) {
      stateEl.setAttribute('data-state', state)
      stateEl.textContent = section.getAttribute('data-state-' + state) || state
    }
    const sig = s.signals
    if (!sig) return
    set('refused', numbers.format(sig.refused))
    set('rateLimited', numbers.format(sig.rateLimited))
    set('rateLimitedAddresses', numbers.format(sig.rateLimitedAddresses))
    set('duplicates', numbers.format(sig.duplicates))
    set('targetBursts', numbers.format(sig.targetBursts.reduce(function (a, b) { return a + b.count }, 0)))
    set('autoSwitches', numbers.format(sig.autoSwitches))
  })
})()
