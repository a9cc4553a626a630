// Bouteille admin dashboard: live figures over Server-Sent Events and the two charts (uPlot, self-hosted).
// The page is complete without it; this only keeps it moving. Every text comes from the page (data-dashboard).
(function () {
  'use strict'

  const root = document.getElementById('dashboard')
  if (!root || !window.EventSource) return
  const config = JSON.parse(root.getAttribute('data-dashboard') || '{}')
  const S = config.strings || {}
  const numbers = new Intl.NumberFormat(config.locale)
  const dates = new Intl.DateTimeFormat(config.locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: config.timeZone })
  const times = new Intl.DateTimeFormat(config.locale, { hour: '2-digit', minute: '2-digit', timeZone: config.timeZone })
  const dayHours = new Intl.DateTimeFormat(config.locale, { weekday: 'short', hour: '2-digit', minute: '2-digit', timeZone: config.timeZone })
  const plural = new Intl.PluralRules(config.locale)
  const field = (name) => root.querySelector('[data-field="' + name + '"]')

  // The catalog's {name} placeholders; plural entries arrive as { one, other } objects.
  function text (key, vars) {
    let entry = S[key]
    if (entry && typeof entry === 'object') entry = entry[plural.select(Number(vars && vars.count) || 0)] || entry.other
    return String(entry || '').replace(/\{(\w+)\}/g, function (all, name) {
      if (!vars || vars[name] === undefined) return all
      return typeof vars[name] === 'number' ? numbers.format(vars[name]) : String(vars[name])
    })
  }

  function milestoneLabel (m, baseGoal) {
    if (m.kind === 'percent') return text('milestones.kind.percent', { percent: m.percent, count: m.threshold })
    if (m.kind === 'step') return text('milestones.kind.step', { count: m.threshold, next: nextGoal(m.threshold, m.goal || baseGoal) })
    return text('milestones.kind.count', { count: m.threshold })
  }

  // The same ladder as server/domain/goals.ts: 1, 2.5, 5 × 10^n above the total.
  function nextGoal (total, base) {
    if (total < base) return base
    let magnitude = 1
    while (magnitude * 10 <= total) magnitude *= 10
    for (;;) {
      for (const m of [1, 2.5, 5]) if (m * magnitude > total && m * magnitude > base) return m * magnitude
      magnitude *= 10
    }
  }

  function setText (name, value) {
    const el = field(name)
    if (el && el.textContent !== value) el.textContent = value
  }

  /** Refills a split table: one row per entry, its label then two numeric cells, or the "none yet" row. */
  function fillTable (tableName, rows, cellsOf) {
    const table = field(tableName)
    if (!table) return
    const body = table.tBodies[0]
    const out = document.createDocumentFragment()
    if (rows.length === 0) {
      const tr = document.createElement('tr')
      const td = document.createElement('td')
      td.colSpan = 3
      td.className = 'muted'
      td.textContent = text('split.none')
      tr.appendChild(td)
      out.appendChild(tr)
    }
    for (const r of rows) {
      const cells = cellsOf(r)
      const tr = document.createElement('tr')
      const th = document.createElement('th')
      th.scope = 'row'
      th.textContent = cells[0]
      tr.appendChild(th)
      for (const value of cells.slice(1)) {
        const td = document.createElement('td')
        td.className = 'num'
        td.textContent = value
        tr.appendChild(td)
      }
      out.appendChild(tr)
    }
    body.replaceChildren(out)
  }

  function rowsOf (tableName, rows, labelOf, total) {
    fillTable(tableName, rows, function (r) {
      return [labelOf(r.key), numbers.format(r.count), text('split.percent', { percent: total > 0 ? Math.round((r.count / total) * 1000) / 10 : 0 })]
    })
  }

  function board (targets) {
    const list = field('targets')
    if (!list) return
    const byId = new Map()
    for (const li of list.children) byId.set(li.getAttribute('data-id'), li)
    const max = Math.max(1, targets.length ? targets[0].count : 1)
    const out = document.createDocumentFragment()
    for (const x of targets) {
      const li = byId.get(x.id)
      if (!li) continue
      li.querySelector('.dash-board-count').textContent = numbers.format(x.count)
      const bar = li.querySelector('progress')
      bar.max = max
      bar.value = x.count
      out.appendChild(li)
    }
    list.appendChild(out)
  }

  let known = null
  function milestones (d) {
    const list = field('milestones')
    if (!list) return
    const seen = d.milestones.map((m) => m.threshold + ':' + m.mailStatus).join(',')
    if (seen === known) return
    const fresh = known !== null && d.milestones.length > 0 && !known.split(',').some((k) => k.split(':')[0] === String(d.milestones[0].threshold))
    known = seen
    const out = document.createDocumentFragment()
    for (const m of d.milestones) {
      const li = document.createElement('li')
      const strong = document.createElement('strong')
      strong.textContent = milestoneLabel(m, d.campaign.baseGoal)
      const when = document.createElement('span')
      when.className = 'muted'
      when.textContent = ' ' + text('milestones.reachedAt', { date: dates.format(new Date(m.reachedAt)) }) + ' · ' + text('milestones.mail.' + m.mailStatus)
      li.append(strong, when)
      out.appendChild(li)
    }
    list.replaceChildren(out)
    const none = field('milestonesNone')
    if (none) none.hidden = d.milestones.length > 0
    if (fresh) {
      setText('noticeText', text('milestones.notice', { milestone: milestoneLabel(d.milestones[0], d.campaign.baseGoal) }))
      field('notice').hidden = false
    }
  }

  // uPlot wants columns: x in seconds, then y.
  const charts = {}
  function columns (buckets) {
    return [buckets.map((b) => Date.parse(b.t) / 1000), buckets.map((b) => b.n)]
  }
  function chart (name, buckets) {
    const el = root.querySelector('[data-chart="' + name + '"]')
    if (!el || !window.uPlot) return
    const data = columns(buckets)
    if (charts[name]) { charts[name].setData(data); return }
    const style = window.getComputedStyle(root)
    const stroke = style.getPropertyValue('--accent').trim() || '#0b4d57'
    const ink = style.getPropertyValue('--ink-soft').trim() || '#4a6166'
    const grid = style.getPropertyValue('--line').trim() || '#ddd6c8'
    const width = Math.max(240, el.clientWidth)
    const format = (u, splits) => splits.map((s) => (name === 'minutes' ? times : dayHours).format(new Date(s * 1000)))
    const UPlot = window.uPlot
    charts[name] = new UPlot({
      width,
      height: 200,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(5, Math.ceil(max * 1.1))] } },
      axes: [
        { stroke: ink, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, values: format, space: name === 'minutes' ? 70 : 90 },
        { stroke: ink, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, values: (u, splits) => splits.map((s) => numbers.format(s)), size: 56 }
      ],
      series: [{}, { label: text('chart.actions'), stroke, width: 2, fill: stroke + '22', points: { show: false } }]
    }, data, el)
    el.setAttribute('data-points', String(data[1].length))
  }
  function resize () {
    for (const name of Object.keys(charts)) {
      const el = root.querySelector('[data-chart="' + name + '"]')
      charts[name].setSize({ width: Math.max(240, el.clientWidth), height: 200 })
    }
  }
  let resizeTimer = null
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer)
    resizeTimer = setTimeout(resize, 150)
  })

  function apply (d) {
    setText('total', numbers.format(d.total))
    setText('goal', numbers.format(d.goal))
    const meter = field('meter')
    if (meter) { meter.max = d.goal; meter.value = Math.min(d.total, d.goal) }
    setText('percent', text('hero.percent', { percent: d.percent }))
    setText('perMinute', numbers.format(d.rates.perMinute))
    setText('lastHour', numbers.format(d.rates.lastHour))
    const trend = d.rates.lastHour > d.rates.previousHour ? 'Up' : d.rates.lastHour < d.rates.previousHour ? 'Down' : 'Flat'
    const trendEl = field('trend')
    if (trendEl) { trendEl.className = 'dash-trend dash-trend--' + trend.toLowerCase(); trendEl.textContent = text('rates.trend' + trend, { previous: d.rates.previousHour }) }
    const verdict = field('verdict')
    if (verdict) {
      verdict.className = 'dash-verdict dash-verdict--' + d.verdict
      verdict.setAttribute('data-verdict', d.verdict)
      verdict.textContent = text('verdict.' + d.verdict) + (d.projectedAt && d.verdict !== 'reached' ? ' ' + text('verdict.projected', { date: dates.format(new Date(d.projectedAt)) }) : '')
    }
    setText('next', d.next ? text('next.label', { milestone: milestoneLabel(Object.assign({ goal: d.campaign.baseGoal }, d.next), d.campaign.baseGoal) }) : text('next.none'))
    board(d.targets)
    const channel = (k) => (config.channels && config.channels[k]) || k
    const locale = (k) => (config.languages && config.languages[k]) || k
    rowsOf('channels', d.channels, channel, d.total)
    // "Did you post it?": yes and no per network, as the page first drew them.
    fillTable('posted', d.posted || [], function (r) { return [channel(r.channel), numbers.format(r.yes), numbers.format(r.no)] })
    rowsOf('locales', d.locales, locale, d.total)
    const variant = (k) => {
      const v = (d.variants || []).find((x) => x.key === k)
      return v ? v.locale.toUpperCase() + ' · ' + v.label + (v.active ? '' : ' (' + text('split.variantInactive') + ')') : k
    }
    rowsOf('variants', d.variants || [], variant, d.total)
    rowsOf('refs', d.refs.top, (k) => k, d.total)
    milestones(d)
    chart('minutes', d.minutes)
    chart('hours', d.hours)
    const updated = field('updated')
    if (updated) { updated.setAttribute('datetime', d.updatedAt); updated.textContent = times.format(new Date(d.updatedAt)) }
    root.setAttribute('data-total', String(d.total))
    // Sections with their own script (dashboard-<area>.js) hear every document too.
    root.dispatchEvent(new window.CustomEvent('dashboard:data', { detail: d }))
  }

  function connect () {
    const live = field('live')
    const source = new window.EventSource(config.events)
    source.addEventListener('dashboard', function (event) {
      try { apply(JSON.parse(event.data)) } catch (err) { /* a malformed frame: wait for the next one */ }
    })
    source.addEventListener('open', function () {
      if (live) { live.textContent = text('live.connected'); live.setAttribute('data-state', 'on') }
    })
    source.addEventListener('error', function () {
      // EventSource reconnects by itself (retry: 3000); each reconnect gets the whole document.
      if (live) { live.textContent = text('live.reconnecting'); live.setAttribute('data-state', 'off') }
      // CLOSED: the server refused the stream (429, too many open from this address) and EventSource gives up:
      // read dashboard.json every 30 to 60 s instead, then try the stream again.
      if (source.readyState === window.EventSource.CLOSED) poll(10)
    })
  }

  function poll (left) {
    setTimeout(function () {
      if (left === 0) return connect()
      fetch(config.events.replace(/\/events$/, '/dashboard.json'), { headers: { accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.json() : null })
        .then(function (d) { if (d) apply(d) })
        .catch(function () {})
        .then(function () { poll(left - 1) })
    }, 30000 + Math.floor(Math.random() * 30000))
  }

  document.addEventListener('DOMContentLoaded', connect)
})()
