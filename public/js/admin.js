// Bouteille admin — small progressive enhancement. Every page works without it.
// - data-confirm="Question?" on a form, or on one of its submit buttons, asks before submitting.
// - data-copy="id-of-an-input" on a button copies that input's value (data-copied: the text shown after).
// - A form error summary (.form-errors) or the first invalid field gets the focus when the page loads.
(function () {
  'use strict'

  // The layout loads this script; a page that loads it again must not get two confirmations.
  if (window.bouteilleAdmin) return
  window.bouteilleAdmin = true
  document.documentElement.classList.add('js')

  document.addEventListener('submit', function (event) {
    const form = event.target
    if (!form || form.tagName !== 'FORM') return
    const button = event.submitter
    const question = (button && button.getAttribute('data-confirm')) || form.getAttribute('data-confirm')
    if (question && !window.confirm(question)) event.preventDefault()
  })

  document.addEventListener('click', function (event) {
    const button = event.target && event.target.closest ? event.target.closest('[data-copy]') : null
    if (!button) return
    const input = document.getElementById(button.getAttribute('data-copy'))
    if (!input) return
    const done = function () {
      const label = button.getAttribute('data-copied')
      if (!label) return
      const before = button.textContent
      button.textContent = label
      setTimeout(function () { button.textContent = before }, 2000)
    }
    input.focus()
    input.select()
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () {})
    } else if (document.execCommand && document.execCommand('copy')) {
      done()
    }
  })

  document.addEventListener('DOMContentLoaded', function () {
    const target = document.querySelector('.form-errors') || document.querySelector('[aria-invalid="true"]')
    if (target) target.focus()
  })
})()
