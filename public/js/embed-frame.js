// Bouteille — the widget's side of /embed.js: inside a partner's frame, tell the parent page this page's height and
// title, so the frame fits its content (no inner scroll bar) and carries the campaign's name for screen readers.
// The message holds nothing private: any parent may read it; embed.js checks that it comes from this frame.
(function () {
  'use strict'
  if (window.parent === window) return
  let last = 0
  function post () {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height)
    if (height === last) return
    last = height
    window.parent.postMessage({ type: 'bouteille:size', height, title: document.title }, '*')
  }
  post()
  if (window.ResizeObserver) new window.ResizeObserver(post).observe(document.documentElement)
  else window.addEventListener('resize', post)
  window.addEventListener('load', post)
  // The frame's short thanks: move the focus to its heading, as a page change would.
  const heading = document.getElementById('embed-thanks-title')
  if (heading) heading.focus()
})()
