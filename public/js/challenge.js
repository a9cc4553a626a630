// Bot defence: while the supporter reads and writes, the browser fetches a small proof-of-work challenge and solves
// it in a worker; the solution goes with the send in the "altcha" field (single use, checked by the server).
// Without JavaScript, or when the browser cannot solve it, the question in the form is asked instead.
(function () {
  'use strict'
  const box = document.getElementById('challenge')
  const form = document.getElementById('act-form')
  if (!box || !form) return
  const question = document.getElementById('challenge-question')
  const status = document.getElementById('challenge-status')
  let field = null
  let waiting = null
  let solved = false
  let failed = false

  function ask () {
    // The fallback: the question, as without JavaScript.
    failed = true
    question.hidden = false
    question.disabled = false
    status.hidden = true
    if (waiting) { const w = waiting; waiting = null; w() }
  }

  function solve () {
    solved = false
    if (!window.Worker || !window.crypto || !window.crypto.subtle || !window.fetch) return ask()
    question.hidden = true
    question.disabled = true
    status.hidden = false
    status.textContent = box.dataset.working
    window.fetch(box.dataset.url, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (res) { return res.ok ? res.json() : Promise.reject(new Error(String(res.status))) })
      .then(function (c) {
        const worker = new window.Worker('/assets/js/challenge-worker.js')
        worker.onmessage = function (e) {
          worker.terminate()
          if (e.data.number === null) return ask()
          if (!field) {
            field = document.createElement('input')
            field.type = 'hidden'
            field.name = 'altcha'
            form.appendChild(field)
          }
          field.value = window.btoa(JSON.stringify({ algorithm: c.algorithm, challenge: c.challenge, number: e.data.number, salt: c.salt, signature: c.signature, took: e.data.took }))
          solved = true
          status.textContent = box.dataset.ready
          box.dataset.state = 'ready'
          if (waiting) { const w = waiting; waiting = null; w() }
        }
        worker.onerror = ask
        worker.postMessage(c)
      })
      .catch(ask)
  }

  // A send before the solution is ready waits for it, then goes on as the supporter asked (same button).
  form.addEventListener('submit', function (e) {
    if (solved || failed || e.defaultPrevented) return
    const btn = e.submitter
    e.preventDefault()
    e.stopImmediatePropagation()
    status.textContent = box.dataset.working
    waiting = function () {
      if (form.requestSubmit) form.requestSubmit(btn && btn.form === form ? btn : undefined)
      else form.submit()
    }
  })

  // A page restored from the back-forward cache holds a solution already used: solve a fresh one.
  window.addEventListener('pageshow', function (e) { if (e.persisted && !failed) solve() })
  solve()
})()
