// Bouteille — the snippet partners paste: <a class="bouteille-embed" href=… data-campaign data-ref data-lang>…</a>
// <script async src="https://…/embed.js">. Each such link becomes an iframe of the campaign's widget, from the
// script's own site, sized to its content. No dependency, no cookie, nothing sent but the frame's request.
(function () {
  'use strict'
  const script = document.currentScript
  if (!script || !script.src) return
  const origin = new URL(script.src).origin
  const frames = window.__bouteilleFrames || (window.__bouteilleFrames = [])

  function mount (link) {
    const slug = link.getAttribute('data-campaign') || ''
    if (!/^[a-z0-9][a-z0-9-]{0,79}$/.test(slug) || link.getAttribute('data-bouteille') === 'on') return
    link.setAttribute('data-bouteille', 'on')
    const q = []
    const lang = link.getAttribute('data-lang')
    const ref = link.getAttribute('data-ref')
    if (lang && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(lang)) q.push('lang=' + encodeURIComponent(lang))
    if (ref && /^[A-Za-z0-9_-]{1,64}$/.test(ref)) q.push('ref=' + encodeURIComponent(ref))
    const frame = document.createElement('iframe')
    frame.src = origin + '/c/' + slug + '/embed' + (q.length ? '?' + q.join('&') : '')
    // A name for screen readers until the widget sends its own (the campaign's title).
    frame.title = (link.textContent || '').trim() || slug
    frame.loading = 'lazy'
    frame.setAttribute('allow', 'clipboard-write')
    frame.style.cssText = 'display:block;width:100%;max-width:720px;height:640px;border:0;overflow:hidden;color-scheme:normal'
    link.replaceWith(frame)
    frames.push(frame)
  }

  // The widget posts its height; only a message from one of our frames, from the widget's site, is taken.
  if (!window.__bouteilleListening) {
    window.__bouteilleListening = true
    window.addEventListener('message', function (e) {
      const data = e.data
      if (!data || data.type !== 'bouteille:size') return
      for (let i = 0; i < frames.length; i++) {
        const f = frames[i]
        if (f.contentWindow !== e.source || new URL(f.src).origin !== e.origin) continue
        const h = Number(data.height)
        if (h > 0 && h < 20000) f.style.height = Math.ceil(h) + 'px'
        if (typeof data.title === 'string' && data.title) f.title = data.title.slice(0, 200)
      }
    })
  }

  const links = document.querySelectorAll('a.bouteille-embed[data-campaign]')
  for (let i = 0; i < links.length; i++) mount(links[i])
})()
