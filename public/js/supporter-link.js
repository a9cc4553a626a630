// A supporter's own link (?from=CODE): a random code made here with crypto.getRandomValues and kept only in this
// browser (localStorage, per campaign). The campaign page sends it with each action (field `link`); the thank-you
// page shows the link with it and, live, how many people acted through it. No account, nothing personal.
(function () {
  'use strict'
  function store (kind) {
    try { return kind === 'local' ? window.localStorage : window.sessionStorage } catch (e) { return null }
  }
  function get (kind, key) { const s = store(kind); try { return s ? s.getItem(key) || '' : '' } catch (e) { return '' } }
  function set (kind, key, value) { const s = store(kind); try { if (s && value) s.setItem(key, value) } catch (e) { /* private mode */ } }
  const CODE_RE = /^[A-Za-z0-9_-]{1,64}$/

  function newCode () {
    const bytes = new Uint8Array(9)
    window.crypto.getRandomValues(bytes)
    let s = ''
    for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i])
    return window.btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
  }

  function codeFor (slug, fallback) {
    const key = 'bouteille.link.' + slug
    let code = get('local', key)
    if (!CODE_RE.test(code)) {
      code = fallback && CODE_RE.test(fallback) ? fallback : newCode()
      set('local', key, code)
    }
    return code
  }

  // The campaign page: every send carries the supporter's own code; the partner code and the wording are kept for the thank-you page.
  const form = document.getElementById('act-form')
  const data = document.getElementById('campaign')
  if (form && data) {
    let slug = ''
    try { slug = JSON.parse(data.getAttribute('data-campaign') || '{}').slug || '' } catch (e) { slug = '' }
    if (slug) {
      const input = document.createElement('input')
      input.type = 'hidden'
      input.name = 'link'
      input.value = codeFor(slug)
      form.appendChild(input)
      form.addEventListener('submit', function () {
        const ref = form.querySelector('input[name="ref"]')
        const message = form.querySelector('input[name="message"]:checked') || form.querySelector('[name="message"]')
        set('session', 'bouteille.reach.' + slug, JSON.stringify({ ref: ref ? ref.value : '', m: message ? message.value : '' }))
      }, true)
    }
  }

  // The thank-you page.
  const box = document.getElementById('reach')
  if (!box) return
  const slug = box.getAttribute('data-slug') || ''
  const code = codeFor(slug, box.getAttribute('data-code'))
  let kept = {}
  try { kept = JSON.parse(get('session', 'bouteille.reach.' + slug) || '{}') } catch (e) { kept = {} }
  const ref = box.getAttribute('data-ref') || (CODE_RE.test(kept.ref || '') ? kept.ref : '')
  const variant = box.getAttribute('data-variant') || (/^[0-9a-f-]{36}$/i.test(kept.m || '') ? kept.m : '')

  function withReach (href) {
    const url = new URL(href, window.location.href)
    if (ref) url.searchParams.set('ref', ref)
    url.searchParams.set('from', code)
    if (variant && url.pathname.indexOf('/share/') >= 0) url.searchParams.set('m', variant)
    return url.origin === window.location.origin && url.pathname.indexOf('/share/') >= 0 ? url.pathname + url.search : url.href
  }
  const linkInput = document.getElementById('share-link')
  if (linkInput) {
    const url = new URL(box.getAttribute('data-link-base') || linkInput.value)
    url.searchParams.set('lang', box.getAttribute('data-locale') || '')
    linkInput.value = withReach(url.href)
  }
  document.querySelectorAll('.share-list a.share-btn').forEach(function (a) { a.setAttribute('href', withReach(a.getAttribute('href'))) })
  const mastodon = box.querySelector('form.reach-mastodon')
  if (mastodon) {
    const fields = { from: code, ref, m: variant }
    Object.keys(fields).forEach(function (name) {
      if (!fields[name]) return
      let f = mastodon.querySelector('input[name="' + name + '"]')
      if (!f) { f = document.createElement('input'); f.type = 'hidden'; f.name = name; mastodon.appendChild(f) }
      f.value = fields[name]
    })
    const instance = mastodon.querySelector('input[name="instance"]')
    const known = get('local', 'bouteille.mastodonInstance')
    if (instance && known && !instance.value) instance.value = known
  }

  // "Copy the link" is a share too: counted per network, like the buttons (which go through the counting redirect).
  const copy = document.getElementById('copy-link')
  if (copy && navigator.sendBeacon) {
    copy.addEventListener('click', function () {
      const body = new URLSearchParams({ network: 'copy' })
      if (variant) body.set('m', variant)
      navigator.sendBeacon('/c/' + encodeURIComponent(slug) + '/shared', body)
    })
  }

  // The count, asked politely: when the page's live total moves (its own event stream redraws it: someone acted,
  // maybe through this link), at most every 2 s, and every 60 s besides while the page is in view.
  const countEl = box.querySelector('[data-joined-count]')
  const unitEl = box.querySelector('[data-joined-unit]')
  const number = new Intl.NumberFormat(box.getAttribute('data-locale') || undefined)
  let timer = null
  function show (n) {
    if (countEl) countEl.textContent = number.format(n)
    if (unitEl) unitEl.textContent = box.getAttribute(n === 1 ? 'data-joined-one' : 'data-joined-other') || ''
  }
  function poll () {
    window.fetch('/c/' + encodeURIComponent(slug) + '/from/' + encodeURIComponent(code) + '.json', { headers: { accept: 'application/json' } })
      .then(function (res) { return res.ok ? res.json() : null })
      .then(function (json) { if (json && typeof json.count === 'number') show(json.count) })
      .catch(function () { /* next turn */ })
  }
  let last = 0
  let pending = null
  function soon () {
    if (pending || document.hidden) return
    pending = window.setTimeout(function () { pending = null; last = Date.now(); poll() }, Math.max(300, 2000 - (Date.now() - last)))
  }
  function start () { if (!timer) { soon(); timer = window.setInterval(soon, 60000) } }
  function stop () { if (timer) { window.clearInterval(timer); timer = null } }
  document.addEventListener('visibilitychange', function () { if (document.hidden) stop(); else start() })
  const total = document.getElementById('progress-line')
  if (total && window.MutationObserver) new window.MutationObserver(soon).observe(total, { subtree: true, childList: true, characterData: true })
  if (!document.hidden) start()
})()
