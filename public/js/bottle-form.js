// The bottle's part of the send form: the signature folds away until it is wanted (the copy box ticked, or
// "Sign my message"), and a signature without the publication consent is caught before the form leaves.
// Without JS every field is shown and the server says the same thing.
(function () {
  'use strict'
  const box = document.getElementById('bottle-box')
  const form = document.getElementById('act-form')
  if (!box || !form) return
  const sign = document.getElementById('bottle-sign')
  const toggle = document.getElementById('bottle-sign-toggle')
  const copy = document.getElementById('bottle_copy')
  const consent = document.getElementById('publish_consent')
  const name = document.getElementById('signature_name')
  const town = document.getElementById('signature_town')
  const error = document.getElementById('consent-error')

  function open (focus) {
    sign.hidden = false
    toggle.hidden = true
    toggle.setAttribute('aria-expanded', 'true')
    if (focus) name.focus()
  }
  function signed () { return name.value.trim() !== '' || town.value.trim() !== '' }

  // Shown at once when the form came back with a signature or a ticked box.
  if (box.dataset.signed !== 'true' && !(copy && copy.checked)) {
    sign.hidden = true
    toggle.hidden = false
  }
  toggle.addEventListener('click', function () { open(true) })
  if (copy) copy.addEventListener('change', function () { if (copy.checked) open(false) })
  consent.addEventListener('change', function () { if (consent.checked) error.hidden = true })

  form.addEventListener('submit', function (e) {
    const btn = e.submitter
    const ch = btn && btn.name === 'channel' ? btn.value : ''
    const toBottle = ch === 'bottle' || (copy && copy.checked && ch !== '')
    if (!toBottle || !signed() || consent.checked) return
    e.preventDefault()
    open(false)
    error.setAttribute('role', 'alert')
    error.hidden = false
    consent.setAttribute('aria-invalid', 'true')
    consent.setAttribute('aria-describedby', 'consent-error consent-privacy')
    consent.focus()
  })
})()
