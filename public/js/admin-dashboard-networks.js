// The dashboard's "On the networks" section, kept live: admin-dashboard.js hands every new document over as a
// 'dashboard-data' event on #dashboard; this redraws the counts and the feed of public posts from it (text only).
(function () {
  'use strict'
  const section = document.querySelector('[data-networks]')
  const root = document.getElementById('dashboard')
  if (!section || !root) return
  const config = JSON.parse(section.getAttribute('data-networks') || '{}')
  const s = config.strings || {}
  const numbers = new Intl.NumberFormat(config.locale)
  const dates = new Intl.DateTimeFormat(config.locale, { dateStyle: 'short', timeStyle: 'short', timeZone: config.timeZone })
  const field = (name) => section.querySelector('[data-field="' + name + '"]')

  function el (tag, props, children) {
    const node = document.createElement(tag)
    for (const k in props || {}) {
      if (k === 'text') node.textContent = props[k]
      else node.setAttribute(k, props[k])
    }
    for (const c of children || []) if (c) node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c)
    return node
  }

  function post (p) {
    const meta = el('p', { class: 'dash-post-meta' }, [
      el('span', { class: 'badge badge--neutral', text: s[p.network] || p.network }), ' ',
      el('a', { href: /^https:\/\//.test(p.url) ? p.url : '#', rel: 'noopener noreferrer nofollow', text: (p.authorName ? p.authorName + ' ' : '') + '@' + p.authorHandle }),
      ' · ', el('time', { datetime: p.postedAt, text: dates.format(new Date(p.postedAt)) }),
      p.selected ? ' · ' : null, p.selected ? el('strong', { text: s.selected }) : null
    ])
    const item = el('li', { class: 'dash-post', 'data-id': String(p.id) }, [meta, el('p', { class: 'dash-post-text', text: p.text })])
    if (config.canEdit) {
      item.appendChild(el('form', { method: 'post', action: '/admin/campaigns/' + config.campaignId + '/network-posts/' + p.id + '/selection' }, [
        el('input', { type: 'hidden', name: '_csrf', value: config.csrf }),
        el('input', { type: 'hidden', name: 'selected', value: p.selected ? 'off' : 'on' }),
        el('button', { type: 'submit', class: 'btn btn--small', text: p.selected ? s.unselect : s.select })
      ]))
    }
    return item
  }

  function apply (d) {
    const nw = d && d.networks
    if (!nw) return
    for (const r of nw.byNetwork) {
      const row = section.querySelector('tr[data-network="' + r.network + '"]')
      if (!row) continue
      const cells = row.querySelectorAll('td')
      if (cells.length < 3) continue
      cells[0].textContent = r.posts === null ? '—' : numbers.format(r.posts)
      cells[1].textContent = numbers.format(r.intents)
      cells[2].textContent = r.posts === null || r.intents === 0 ? '—' : (s.percent || '{percent}%').replace('{percent}', numbers.format(Math.round((r.posts / r.intents) * 100)))
    }
    const targets = field('netTargets')
    if (targets) {
      targets.replaceChildren.apply(targets, nw.targets.map(function (x) {
        return el('li', {}, [el('span', { class: 'dash-board-name', text: x.name }), ' ', el('span', { class: 'dash-board-count num', text: numbers.format(x.count) })])
      }))
    }
    const targetsNone = field('netTargetsNone')
    if (targetsNone) targetsNone.hidden = nw.targets.length > 0
    const hours = field('netHours')
    if (hours) {
      hours.replaceChildren.apply(hours, nw.hours.slice(-24).reverse().map(function (b) {
        return el('tr', {}, [el('th', { scope: 'row', text: dates.format(new Date(b.t)) }), el('td', { class: 'num', text: numbers.format(b.n) })])
      }))
    }
    const feed = field('netFeed')
    if (feed) feed.replaceChildren.apply(feed, nw.feed.map(post))
    const none = field('netFeedNone')
    if (none) none.hidden = nw.feed.length > 0
    const all = field('netAll')
    if (all && s.seeAll) all.textContent = s.seeAll.replace('{count}', numbers.format(nw.total))
  }

  root.addEventListener('dashboard-data', function (event) { apply(event.detail) })
})()
