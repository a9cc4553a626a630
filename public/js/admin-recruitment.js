// The dashboard's Recruitment section, redrawn from each document the dashboard's stream delivers (admin-dashboard.js
// dispatches it as "dashboard:data"): no stream or request of its own.
(function () {
  'use strict'
  const root = document.getElementById('dashboard')
  const section = document.getElementById('recruitment')
  if (!root || !section) return
  const strings = JSON.parse(section.getAttribute('data-strings') || '{}')
  const numbers = new Intl.NumberFormat(section.getAttribute('data-locale') || undefined)

  function row (cells, firstIsHeader) {
    const tr = document.createElement('tr')
    cells.forEach(function (text, i) {
      const cell = document.createElement(i === (firstIsHeader ? 0 : 1) ? 'th' : 'td')
      if (cell.tagName === 'TH') cell.setAttribute('scope', 'row')
      if (i > (firstIsHeader ? 0 : 1)) cell.className = 'num'
      // A cell is its text, or { text, logo } for a partner shown with its logo (served by us under /media/).
      const logo = typeof text === 'object' && text.logo && /^\/media\//.test(text.logo.url) ? text.logo : null
      if (logo) {
        const img = document.createElement('img')
        img.className = 'partner-logo partner-logo--row'
        img.src = logo.url
        img.alt = ''
        img.width = logo.width
        img.height = logo.height
        cell.append(img, ' ')
      }
      cell.append(typeof text === 'object' ? text.text : text)
      tr.appendChild(cell)
    })
    return tr
  }
  function fill (name, rows, width, firstIsHeader) {
    const body = section.querySelector('[data-recruit="' + name + '"] tbody')
    if (!body) return
    body.textContent = ''
    if (rows.length === 0) {
      const tr = document.createElement('tr')
      const td = document.createElement('td')
      td.colSpan = width
      td.className = 'muted'
      td.textContent = strings.none || ''
      tr.appendChild(td)
      body.appendChild(tr)
      return
    }
    rows.forEach(function (cells) { body.appendChild(row(cells, firstIsHeader)) })
  }

  root.addEventListener('dashboard-data', function (event) {
    const d = event.detail
    const r = d && d.recruitment
    if (!r) return
    Object.keys(r.reach).forEach(function (k) {
      const el = section.querySelector('[data-reach="' + k + '"]')
      if (el) el.textContent = numbers.format(r.reach[k])
    })
    const links = section.querySelector('[data-recruit="links"]')
    if (links) links.textContent = (strings.links || '').replace('{percent}', numbers.format(r.links.percent)).replace('{brought}', numbers.format(r.links.brought)).replace('{given}', numbers.format(r.links.given))
    fill('shares', r.shares.map(function (s) { return [(strings.network && strings.network[s.key]) || s.key, numbers.format(s.count)] }), 2, true)
    const shares = new Map(r.sharesByVariant.map(function (v) { return [v.key, v.count] }))
    fill('variants', (d.variants || []).map(function (v) { return [v.locale.toUpperCase() + ' · ' + v.label, numbers.format(v.count), numbers.format(shares.get(v.key) || 0)] }), 3, true)
    fill('partners', r.partners.map(function (p) { return [numbers.format(p.rank), { text: p.name + ' (' + p.code + ')', logo: p.logo }, numbers.format(p.count)] }), 3, false)
  })
})()
