// The moderation queue: one box ticks or unticks every message of the page. Without it, each box is ticked by hand.
(function () {
  'use strict'
  const all = document.getElementById('select-all')
  if (!all) return
  const boxes = function () { return Array.prototype.slice.call(document.querySelectorAll('input[type="checkbox"][name="' + all.getAttribute('data-select-all') + '"]')) }
  all.addEventListener('change', function () {
    boxes().forEach(function (b) { b.checked = all.checked })
  })
  document.addEventListener('change', function (e) {
    if (!e.target || e.target.name !== all.getAttribute('data-select-all')) return
    const list = boxes()
    const ticked = list.filter(function (b) { return b.checked }).length
    all.checked = ticked === list.length
    all.indeterminate = ticked > 0 && ticked < list.length
  })
})()
