// Bouteille — live progress for the campaign and thank-you pages (Server-Sent Events, with a slow poll when the
// stream is refused), and the small helpers both pages' scripts share. Loaded before campaign.js or thanks.js.
(function () {
  'use strict'

  // ---------- small helpers ----------

  function fill (tpl, vars, nf) {
    return String(tpl || '').replace(/\{(\w+)\}/g, function (all, k) {
      if (!(k in vars)) return all
      return typeof vars[k] === 'number' ? nf.format(vars[k]) : vars[k]
    })
  }

  function parseJson (s, fallback) {
    try { return s ? JSON.parse(s) : fallback } catch (e) { return fallback }
  }

  function percentOf (total, goal) {
    if (goal <= 0 || total >= goal) return 100
    return Math.min(99, Math.floor((total / goal) * 100))
  }

  const reducedMotion = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches

  // ---------- live progress (campaign and thank-you pages) ----------

  function createProgress (scope, locale, S, onTargets) {
    const nf = new Intl.NumberFormat(locale)
    // The words' language picks the plural form (English words on a Japanese page: "1 action"); digits follow the page.
    const plural = new Intl.PluralRules(S.pluralLocale || locale)
    const totalEl = scope.querySelector('[data-testid="total"]')
    const goalEl = scope.querySelector('[data-testid="goal"]')
    const unitEl = scope.querySelector('[data-unit]')
    const percentEl = scope.querySelector('[data-percent]')
    const postsEl = scope.querySelector('[data-public-posts]')
    const bar = scope.querySelector('#progress-bar')
    const line = scope.querySelector('#progress-line')
    const level = scope.querySelector('[data-bottle-level]')
    const badge = scope.querySelector('.live-badge')
    const shown = { total: -1, goal: -1 }
    let quiet = 0

    function set (total, goal) {
      if (total === shown.total && goal === shown.goal) return
      const grew = shown.total >= 0 && total > shown.total
      shown.total = total
      shown.goal = goal
      // Announce bursts once they settle, not on every event.
      if (line) {
        line.setAttribute('aria-busy', 'true')
        clearTimeout(quiet)
        quiet = setTimeout(function () { line.setAttribute('aria-busy', 'false') }, 1500)
      }
      if (totalEl) totalEl.textContent = nf.format(total)
      if (goalEl) goalEl.textContent = nf.format(goal)
      if (unitEl) unitEl.textContent = plural.select(total) === 'one' ? S.unitOne : S.unitOther
      const pct = percentOf(total, goal)
      if (percentEl && S.percent) percentEl.textContent = fill(S.percent, { percent: pct }, nf)
      if (bar) {
        bar.max = goal
        bar.value = Math.min(total, goal)
      }
      if (level) level.setAttribute('transform', 'translate(0 ' + Math.round(136 - 0.8 * Math.max(4, pct)) + ')')
      if (grew && totalEl && !reducedMotion) {
        totalEl.classList.remove('is-bumped')
        totalEl.getBoundingClientRect() // restart the animation
        totalEl.classList.add('is-bumped')
      }
    }

    function apply (p) {
      if (!p || typeof p.total !== 'number') return
      set(p.total, typeof p.goal === 'number' ? p.goal : shown.goal)
      if (postsEl && typeof p.publicPosts === 'number' && S.publicPostsOne) {
        postsEl.textContent = fill(plural.select(p.publicPosts) === 'one' ? S.publicPostsOne : S.publicPostsOther, { n: p.publicPosts }, nf)
      }
      if (onTargets && Array.isArray(p.targets)) onTargets(p.targets)
    }

    let source = null
    let poll = null
    const extra = []
    /** Listens to another event of the campaign's stream (kept across reconnections). */
    function on (name, fn) {
      extra.push([name, fn])
      if (source) source.addEventListener(name, fn)
    }
    function connect (slug) {
      if (!window.EventSource || source || poll) return
      source = new window.EventSource('/c/' + encodeURIComponent(slug) + '/events')
      extra.forEach(function (l) { source.addEventListener(l[0], l[1]) })
      source.addEventListener('progress', function (e) { apply(parseJson(e.data, null)) })
      source.addEventListener('open', function () { if (badge) badge.classList.remove('is-offline') })
      source.addEventListener('error', function () {
        if (badge) badge.classList.add('is-offline')
        // CLOSED: the server refused the stream (429, too many open from this network): EventSource gives up,
        // so read progress.json now and then instead, and try the stream again after a while.
        if (source && source.readyState === window.EventSource.CLOSED) {
          source = null
          pollProgress(slug)
        }
      })
    }
    function pollProgress (slug) {
      let polls = 0
      const next = function () {
        poll = setTimeout(function () {
          if (++polls > 10) { poll = null; connect(slug); return }
          fetch('/c/' + encodeURIComponent(slug) + '/progress.json', { headers: { accept: 'application/json' } })
            .then(function (r) { return r.ok ? r.json() : null })
            .then(function (p) { if (p) apply(p) })
            .catch(function () {})
            .then(function () { if (poll !== null) next() })
        }, 30000 + Math.floor(Math.random() * 30000))
      }
      next()
    }
    function disconnect () {
      if (source) source.close()
      source = null
      if (poll) clearTimeout(poll)
      poll = null
    }

    if (totalEl) shown.total = Number(bar ? bar.value : 0)
    if (bar) shown.goal = Number(bar.max)
    return { set, apply, connect, disconnect, on, format: nf.format.bind(nf), plural }
  }

  window.BouteilleLive = { createProgress, parseJson, fill, percentOf, reducedMotion }
})()
