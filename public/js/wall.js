// The bottle's wall, live: approvals appear, removals disappear, without a reload. Without JS the page is complete.
(function () {
  'use strict'
  const root = document.getElementById('wall')
  if (!root || !window.EventSource) return
  document.documentElement.classList.add('js')

  function parse (s, fallback) { try { return JSON.parse(s) } catch (e) { return fallback } }
  const S = parse(root.dataset.strings, {})
  const locale = root.dataset.locale || document.documentElement.lang || 'en'
  const list = document.getElementById('wall-list')
  const empty = document.getElementById('wall-empty')
  const countEl = document.getElementById('wall-count')
  const unitEl = document.getElementById('wall-count-unit')
  const announce = document.getElementById('wall-announce')
  const firstPage = root.dataset.firstPage === 'true'
  const hasMore = root.dataset.more === 'true'
  let count = Number(root.dataset.count) || 0
  let when
  try {
    when = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit', timeZone: root.dataset.timeZone || undefined })
  } catch (e) {
    when = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit' })
  }
  const plural = new Intl.PluralRules(locale)
  const numbers = new Intl.NumberFormat(locale)

  function say (msg) {
    if (!announce) return
    announce.textContent = ''
    setTimeout(function () { announce.textContent = msg }, 50)
  }
  function setCount (n) {
    count = Math.max(0, n)
    if (countEl) countEl.textContent = numbers.format(count)
    if (unitEl) unitEl.textContent = plural.select(count) === 'one' ? S.unitOne : S.unitOther
    if (empty) empty.hidden = list.children.length > 0
  }
  function itemsShown () { return Array.prototype.slice.call(list.children) }
  function find (id) { return itemsShown().find(function (li) { return Number(li.dataset.id) === id }) }

  /** The element for a message, built with textContent only: a message is text, never markup. */
  function build (m) {
    const li = document.createElement('li')
    li.className = 'wall-item' + (m.featured ? ' wall-item--featured' : '')
    li.dataset.id = String(m.id)
    li.lang = m.locale
    if (m.featured) {
      const badge = document.createElement('span')
      badge.className = 'wall-badge'
      badge.textContent = S.featured
      li.appendChild(badge)
    }
    const to = document.createElement('p')
    to.className = 'wall-to'
    to.textContent = String(S.to || '{name}').replace('{name}', m.targetName)
    const text = document.createElement('blockquote')
    text.className = 'wall-text'
    // A message keeps its own direction (an Arabic message on a French wall), as the server renders it.
    text.dir = 'auto'
    text.textContent = m.text
    const foot = document.createElement('p')
    foot.className = 'wall-foot'
    const sign = document.createElement('cite')
    sign.className = 'wall-sign'
    sign.textContent = [m.signatureName, m.signatureTown].filter(Boolean).join(', ') || S.anonymous
    const time = document.createElement('time')
    time.dateTime = m.createdAt
    time.textContent = when.format(new Date(m.createdAt))
    foot.appendChild(sign)
    foot.appendChild(time)
    li.appendChild(to)
    li.appendChild(text)
    li.appendChild(foot)
    return li
  }

  /** Puts a message in its place (newest first), if it belongs to the part of the wall this page shows. */
  function place (m) {
    const shown = itemsShown()
    const oldest = shown.length ? Number(shown[shown.length - 1].dataset.id) : Infinity
    // Older than this page's last message while more pages follow: it lives on a later page.
    if (hasMore && m.id < oldest) return false
    // A later page does not take messages newer than its first one: they belong to the pages before it.
    if (!firstPage && shown.length && m.id > Number(shown[0].dataset.id)) return false
    const li = build(m)
    const next = shown.find(function (x) { return Number(x.dataset.id) < m.id })
    list.insertBefore(li, next || null)
    li.classList.add('is-new')
    return true
  }

  function connect () {
    const source = new window.EventSource(root.dataset.events)
    source.addEventListener('approved', function (e) {
      const m = parse(e.data, null)
      if (!m || find(m.id)) return
      place(m)
      setCount(count + 1)
      say(S.newOne)
    })
    source.addEventListener('updated', function (e) {
      const m = parse(e.data, null)
      const old = m && find(m.id)
      if (old) list.replaceChild(build(m), old)
    })
    source.addEventListener('removed', function (e) {
      const m = parse(e.data, null)
      if (!m) return
      const old = find(m.id)
      if (old) old.remove()
      setCount(count - 1)
      say(S.removedOne)
    })
    // Read this page again and show what changed meanwhile: after the server's pub/sub came back from a gap (resync),
    // and after this stream itself was cut and reconnected (events sent meanwhile never reached it).
    function resync () {
      const url = new URL(window.location.href)
      url.searchParams.delete('lang')
      fetch(url.pathname + url.search, { headers: { accept: 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : null })
        .then(function (page) {
          if (!page || !Array.isArray(page.items)) return
          while (list.firstChild) list.removeChild(list.firstChild)
          page.items.forEach(function (m) { list.appendChild(build(m)) })
          setCount(page.count)
        })
        .catch(function () {})
    }
    source.addEventListener('resync', resync)
    let cut = false
    source.addEventListener('error', function () {
      cut = true
      // CLOSED: the server refused the stream (429, too many open from this network) and EventSource gives up:
      // read the page again every minute or so instead, then try the stream again after a while.
      if (source.readyState !== window.EventSource.CLOSED || source !== current) return
      current = null
      let polls = 0
      const next = function () {
        poll = setTimeout(function () {
          poll = null
          if (++polls > 5) { current = connect(); return }
          resync()
          next()
        }, 60000 + Math.floor(Math.random() * 30000))
      }
      next()
    })
    source.addEventListener('open', function () {
      if (cut) { cut = false; resync() }
    })
    return source
  }

  let poll = null
  let current = connect()
  window.addEventListener('pagehide', function () {
    if (current) { current.close(); current = null }
    if (poll) { clearTimeout(poll); poll = null }
  })
  window.addEventListener('pageshow', function (e) { if (e.persisted && !current && !poll) current = connect() })
})()
