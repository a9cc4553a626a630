// Bouteille — the thank-you page: live progress and the "copy the link" button. It needs nothing of the campaign
// page's script (message rules, networks' lengths): live-progress.js is loaded before it.
(function () {
  'use strict'

  document.documentElement.classList.add('js')
  const L = window.BouteilleLive
  const parseJson = L.parseJson
  const createProgress = L.createProgress

  // ---------- thank-you page ----------

  function initThanks (root) {
    const S = parseJson(root.dataset.strings, {})
    const locale = root.dataset.locale || document.documentElement.lang || 'en'
    const progress = createProgress(root, locale, S, null)
    progress.connect(root.dataset.slug)
    window.addEventListener('pagehide', function () { progress.disconnect() })
    window.addEventListener('pageshow', function (e) { if (e.persisted) progress.connect(root.dataset.slug) })

    const input = document.getElementById('share-link')
    const btn = document.getElementById('copy-link')
    const status = document.getElementById('copy-status')
    if (!input || !btn) return
    btn.hidden = false
    function done (ok) {
      if (status) status.textContent = ok ? S.copied : S.copyFailed
      if (!ok) { input.focus(); input.select() }
    }
    btn.addEventListener('click', function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(function () { done(true) }, function () { done(fallbackCopy(input)) })
      } else {
        done(fallbackCopy(input))
      }
    })
    input.addEventListener('focus', function () { input.select() })
  }

  function fallbackCopy (input) {
    try {
      input.focus()
      input.select()
      return document.execCommand('copy')
    } catch (e) {
      return false
    }
  }

  const thanks = document.getElementById('thanks')
  if (thanks) initThanks(thanks)
})()
