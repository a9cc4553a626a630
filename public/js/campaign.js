// Bouteille — progressive enhancement for the campaign page (and the widget, its compact form).
// The pages work without this script; it adds live text rendering and length counting per network,
// instant filtering, live progress (Server-Sent Events) and a fresh idempotency key after each send.
// Rendering mirrors server/domain/messages.ts; lengths, hashtags and the bottle's text run the server's own code (networks.js).
(function () {
  'use strict'

  document.documentElement.classList.add('js')

  // ---------- message rules (mirror of server/domain/messages.ts) ----------

  const SOCIAL = ['x', 'bluesky', 'mastodon', 'threads']
  // Every network's length and hashtag rules are the server's own module (server/domain/networks), bundled once at
  // start and served as /assets/js/networks.js, which this script loads after the first view (whenNetworks): never a copy here.
  let NETWORKS = window.BouteilleNetworks
  const L = window.BouteilleLive
  const fill = L.fill
  const parseJson = L.parseJson
  const reducedMotion = L.reducedMotion
  const createProgress = L.createProgress

  /** How a target is named on a channel: its handle there, else its name. */
  function mention (channel, target) {
    const h = channel === 'email' || channel === 'bottle' ? undefined : (target.handles || {})[channel]
    if (!h) return target.name
    return '@' + h.replace(/^@/, '')
  }

  /** Fills a template's {target}, {hashtags} and {link} placeholders for one channel. */
  function renderMessage (template, channel, target, hashtags, link) {
    const rendered = template
      .split('{target}').join(mention(channel, target))
      .split('{hashtags}').join(hashtags.map(function (h) { return '#' + h.replace(/^#/, '') }).join(' '))
      .split('{link}').join(link)
    return finalizeText(channel, rendered.replace(/[ \t]+/g, ' ').trim(), target, hashtags, link)
  }

  /**
   * On X a text starts with `.@handle`; the first hashtag and the link are appended when missing. The bottle gets the
   * text as the server stores it: names for handles, without the campaign's link (the server's own bottleText).
   */
  function finalizeText (channel, text, target, hashtags, link) {
    let out = text.trim()
    const handle = target.handles && target.handles.x ? target.handles.x.replace(/^@/, '') : ''
    if (channel === 'x' && handle) {
      const at = '@' + handle
      if (out.indexOf('.' + at) === 0) {
        // already right
      } else if (out.indexOf(at) === 0) {
        out = '.' + out
      } else {
        out = '.' + at + ' ' + out
      }
    }
    if (channel === 'bottle') return NETWORKS.bottleText(out, target, link)
    const main = hashtags[0] ? hashtags[0].replace(/^#/, '') : ''
    if (main && !NETWORKS.hasHashtag(channel, out, main)) out += ' #' + main
    if (link && out.indexOf(link) < 0) out += ' ' + link
    return out
  }

  function escapeRegExp (s) {
    return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  }

  /** The length of a text by the rule of the network it is sent on: the server's own code (see NETWORKS). */
  function measureLength (channel, text) {
    return NETWORKS.measureLength(channel, text)
  }

  /** In an edited text, replaces how the target is named on any network by how it is named on the new channel. */
  function swapMention (text, fromChannel, fromTarget, toChannel, toTarget) {
    const to = mention(toChannel, toTarget)
    let out = text
    const fromX = mention('x', fromTarget)
    if (fromX.charAt(0) === '@' && out.indexOf('.' + fromX) === 0) out = out.slice(1)
    const names = SOCIAL.map(function (c) { return mention(c, fromTarget) })
      .filter(function (m, i, all) { return m.charAt(0) === '@' && all.indexOf(m) === i })
    const own = mention(fromChannel, fromTarget)
    if (names.indexOf(own) < 0) names.push(own)
    names.sort(function (a, b) { return b.length - a.length })
    names.forEach(function (from) {
      if (from === to) return
      // Not inside a longer handle: "@name" must not match the start of "@name.bsky.social".
      const re = new RegExp(escapeRegExp(from) + '(?![\\p{L}\\p{N}_@]|\\.[\\p{L}\\p{N}])', 'gu')
      out = out.replace(re, function () { return to })
    })
    return out
  }

  // ---------- small helpers ----------

  function uuid () {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') return window.crypto.randomUUID()
    const b = new Uint8Array(16)
    window.crypto.getRandomValues(b)
    b[6] = (b[6] & 0x0f) | 0x40
    b[8] = (b[8] & 0x3f) | 0x80
    const h = Array.from(b, function (x) { return (x + 0x100).toString(16).slice(1) }).join('')
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20)
  }

  // ---------- campaign page ----------

  function initCampaign (root) {
    const data = parseJson(root.dataset.campaign, null)
    if (!data) return
    const S = Object.assign({}, parseJson(root.dataset.strings, {}), data.strings || {})
    S.networks = Object.assign({}, parseJson(root.dataset.strings, {}).networks || {}, (data.strings || {}).networks || {})
    const locale = data.locale || document.documentElement.lang || 'en'
    const hashtags = data.hashtags || []
    const link = data.link || ''
    const limits = data.limits || {}
    const channels = data.channels || []

    const form = document.getElementById('act-form')
    if (!form) return
    const textarea = document.getElementById('text')
    const keyInput = form.querySelector('input[name="key"]')
    const list = document.getElementById('targets')
    const items = Array.prototype.slice.call(list.querySelectorAll('.target'))
    const variants = Array.prototype.slice.call(document.querySelectorAll('#variants .variant'))
    // Targets and message templates come from their cards, which the server rendered with everything needed.
    const targets = new Map()
    items.forEach(function (li) {
      const name = li.querySelector('.target-name')
      const count = li.querySelector('[data-target-count]')
      targets.set(li.dataset.targetId, {
        id: li.dataset.targetId,
        name: name ? name.textContent : '',
        handles: parseJson(li.dataset.handles, {}),
        count: count ? Number(count.dataset.targetCount) || 0 : 0,
        country: li.dataset.country || '',
        hasEmail: li.dataset.hasEmail === 'true'
      })
    })
    const messages = new Map()
    variants.forEach(function (v) {
      messages.set(v.dataset.messageId, { id: v.dataset.messageId, body: v.dataset.body || '', targetId: v.dataset.for || null })
    })
    const counter = document.getElementById('counter')
    const counterNum = document.getElementById('counter-num')
    const counterMsg = document.getElementById('counter-msg')
    const counterFill = document.getElementById('counter-fill')
    const live = document.getElementById('counter-live')
    const resetBtn = document.getElementById('reset')
    const anotherBtn = document.getElementById('another')
    const suggestBtn = document.getElementById('suggest')
    const countrySelect = document.getElementById('country')
    const emptyNote = document.getElementById('targets-empty')
    const switcher = document.getElementById('preview-switch')
    const instanceField = document.getElementById('instance-field')
    const instanceInput = document.getElementById('instance')
    const sendButtons = Array.prototype.slice.call(form.querySelectorAll('button[name="channel"]'))

    const progress = createProgress(root, locale, S, updateTargetCounts)
    const nf = new Intl.NumberFormat(locale)
    const social = SOCIAL.filter(function (c) { return channels.indexOf(c) >= 0 })
    let preview = social[0] || 'bottle'
    const formChannel = root.dataset.formChannel || ''
    if (social.indexOf(formChannel) >= 0) preview = formChannel

    // The text in the box was produced for this channel and target; lastRendered is the untouched version.
    let ctx = { channel: preview, target: null }
    let lastRendered = ''
    const overState = {}

    function say (msg) {
      if (!live) return
      live.textContent = ''
      setTimeout(function () { live.textContent = msg }, 50)
    }

    function checkedValue (name) {
      const el = form.querySelector('input[name="' + name + '"]:checked')
      return el ? el.value : ''
    }
    function currentTarget () { return targets.get(checkedValue('target')) }
    function currentMessage () { return messages.get(checkedValue('message')) }

    function cssEscape (s) { return window.CSS && window.CSS.escape ? window.CSS.escape(s) : String(s).replace(/["\\]/g, '\\$&') }

    function render (channel) {
      const t = currentTarget()
      const m = currentMessage()
      if (!t || !m) return ''
      return renderMessage(m.body, channel, t, hashtags, link)
    }

    function edited () { return textarea.value.trim() !== '' && textarea.value !== lastRendered }

    /** The text that would be sent on a channel: rendered afresh, or the supporter's edit adapted to it. */
    function textFor (channel) {
      const t = currentTarget()
      if (!t) return textarea.value
      if (!edited()) return render(channel)
      return finalizeText(channel, swapMention(textarea.value, ctx.channel, ctx.target || t, channel, t), t, hashtags, link)
    }

    /** Puts the text for the preview channel in the box; keeps the supporter's edit unless force. */
    function refreshText (force) {
      const t = currentTarget()
      if (!t) return
      const fresh = render(preview)
      if (force || !edited()) {
        textarea.value = fresh
      } else {
        textarea.value = textFor(preview)
      }
      lastRendered = fresh
      ctx = { channel: preview, target: t }
      update()
    }

    function unavailable (channel, t) {
      if (!t) return ''
      // A wording written for some channels only (data-channels) is not offered on the others.
      const chosen = form.querySelector('input[name="message"]:checked')
      const only = chosen && chosen.closest('.variant').dataset.channels
      if (only && only.split(' ').indexOf(channel) < 0) return fill(S.variantChannel, { network: S.networks[channel] || channel }, nf)
      if (SOCIAL.indexOf(channel) >= 0 && !(t.handles || {})[channel]) return fill(S.noHandle, { name: t.name, network: S.networks[channel] || channel }, nf)
      if (channel === 'email' && t.hasEmail === false) return fill(S.noEmail, { name: t.name }, nf)
      return ''
    }

    function update () {
      const t = currentTarget()
      const isEdited = edited()
      if (resetBtn) resetBtn.hidden = !isEdited
      sendButtons.forEach(function (btn) {
        const ch = btn.value
        const note = document.getElementById('note-' + ch)
        let why = unavailable(ch, t)
        let over = 0
        if (!why && t) {
          const text = textFor(ch)
          const n = measureLength(ch, text)
          if (limits[ch] && n > limits[ch]) {
            over = n - limits[ch]
            why = fill(S.tooLong, { network: S.networks[ch] || ch, over, count: n, limit: limits[ch] }, nf)
          }
        }
        btn.disabled = !!why
        if (note) {
          if (note.dataset.default === undefined) note.dataset.default = note.textContent
          note.textContent = why || note.dataset.default
          note.classList.toggle('is-warning', !!why)
        }
      })

      // The counter follows the preview channel.
      const text = textFor(preview)
      const n = measureLength(preview, text)
      const limit = limits[preview] || 0
      const net = S.networks[preview] || preview
      const over = limit ? n - limit : 0
      counter.hidden = false
      counterNum.textContent = fill(S.counter, { count: n, limit }, nf)
      counterMsg.textContent = over > 0
        ? fill(S.counterOver, { over, network: net }, nf)
        : fill(S.counterLeft, { left: limit - n, network: net }, nf)
      counterFill.style.width = (limit ? Math.min(100, (n / limit) * 100) : 0) + '%'
      counter.classList.toggle('is-over', over > 0)
      counter.classList.toggle('is-near', over <= 0 && limit && n / limit > 0.9)
      textarea.classList.toggle('is-over', over > 0)
      if (over > 0) textarea.setAttribute('aria-invalid', 'true')
      else textarea.removeAttribute('aria-invalid')
      const key = preview + ':' + (over > 0)
      if (overState.key !== undefined && overState.key !== key && over > 0) say(counterMsg.textContent)
      overState.key = key
    }

    // --- targets ---
    function visibleItems () { return items.filter(function (li) { return !li.hidden }) }

    function countOf (id) {
      const t = targets.get(id)
      return t && typeof t.count === 'number' ? t.count : 0
    }

    function leastContacted (pool) {
      if (!pool.length) return null
      let min = Infinity
      pool.forEach(function (li) { min = Math.min(min, countOf(li.dataset.targetId)) })
      const ties = pool.filter(function (li) { return countOf(li.dataset.targetId) === min })
      return ties[Math.floor(Math.random() * ties.length)]
    }

    function selectTarget (li, opts) {
      const radio = li.querySelector('input[name="target"]')
      if (!radio) return
      radio.checked = true
      onTargetChange()
      if (opts && opts.focus) {
        radio.focus({ preventScroll: true })
        li.scrollIntoView({ block: 'nearest', behavior: reducedMotion ? 'auto' : 'smooth' })
        if (!reducedMotion) {
          li.classList.remove('is-flash')
          li.getBoundingClientRect() // restart the animation
          li.classList.add('is-flash')
        }
      }
    }

    function onTargetChange () {
      const t = currentTarget()
      if (!t) return
      const visibleVariants = []
      variants.forEach(function (v) {
        const forId = v.dataset.for
        v.hidden = !!forId && forId !== t.id
        if (!v.hidden) visibleVariants.push(v)
        const m = messages.get(v.dataset.messageId)
        const p = v.querySelector('[data-preview]')
        if (m && p) p.textContent = renderMessage(m.body, 'bottle', t, hashtags, link)
      })
      const checked = form.querySelector('input[name="message"]:checked')
      if (!checked || checked.closest('.variant').hidden) {
        const first = visibleVariants[0] && visibleVariants[0].querySelector('input')
        if (first) first.checked = true
      }
      if (anotherBtn) anotherBtn.disabled = visibleVariants.length < 2
      // Preview on a network where this target can be reached.
      if (unavailable(preview, t)) {
        const alt = social.filter(function (c) { return !unavailable(c, t) })[0]
        if (alt) {
          preview = alt
          markPreview()
        }
      }
      refreshText(false)
    }

    function markPreview () {
      if (!switcher) return
      Array.prototype.forEach.call(switcher.querySelectorAll('[data-preview-channel]'), function (b) {
        b.setAttribute('aria-pressed', b.dataset.previewChannel === preview ? 'true' : 'false')
      })
    }

    list.addEventListener('change', function (e) {
      if (e.target && e.target.name === 'target') onTargetChange()
    })

    function updateTargetCounts (list2) {
      const plural = progress.plural
      list2.forEach(function (x) {
        const t = targets.get(x.id)
        if (t) t.count = x.count
        const li = list.querySelector('.target[data-target-id="' + cssEscape(x.id) + '"]')
        if (!li) return
        const num = li.querySelector('[data-target-count]')
        const unit = li.querySelector('[data-target-count-unit]')
        if (num) {
          num.textContent = nf.format(x.count)
          num.setAttribute('data-target-count', String(x.count))
        }
        if (unit) unit.textContent = plural.select(x.count) === 'one' ? S.countOne : S.countOther
      })
      // The badge (the page has one) moves to the least-contacted target; ties keep it where it is.
      const badge = list.querySelector('[data-suggested]')
      if (!badge) return
      let min = Infinity
      items.forEach(function (li) { min = Math.min(min, countOf(li.dataset.targetId)) })
      const holder = badge.closest('.target')
      if (!holder || countOf(holder.dataset.targetId) !== min) {
        const next = items.find(function (li) { return countOf(li.dataset.targetId) === min })
        const meta = next && next.querySelector('.target-meta')
        if (meta) meta.appendChild(badge)
      }
    }

    // --- country filter, without reloading ---
    function applyCountry (code) {
      // The page may hold only one country's cards (the no-JS filter): then ask the server for the others.
      const missing = typeof data.onlyCountry === 'string' && code !== data.onlyCountry
      if (missing && countrySelect && countrySelect.form) {
        countrySelect.form.submit()
        return
      }
      items.forEach(function (li) { li.hidden = !!code && li.dataset.country !== code })
      const vis = visibleItems()
      if (emptyNote) emptyNote.hidden = vis.length > 0
      const checked = form.querySelector('input[name="target"]:checked')
      if (vis.length && (!checked || checked.closest('.target').hidden)) {
        const pick = leastContacted(vis)
        if (pick) selectTarget(pick)
      }
      if (suggestBtn) suggestBtn.disabled = vis.length === 0
      try {
        const url = new URL(window.location.href)
        if (code) url.searchParams.set('country', code)
        else url.searchParams.delete('country')
        window.history.replaceState(window.history.state, '', url)
      } catch (e) { /* an old browser keeps the address */ }
    }
    if (countrySelect) {
      countrySelect.addEventListener('change', function () { applyCountry(countrySelect.value) })
      const filterForm = countrySelect.form
      if (filterForm) filterForm.addEventListener('submit', function (e) { e.preventDefault(); applyCountry(countrySelect.value) })
    }

    if (suggestBtn) {
      suggestBtn.hidden = false
      suggestBtn.addEventListener('click', function () {
        const pick = leastContacted(visibleItems())
        if (!pick) return
        selectTarget(pick, { focus: true })
        const t = targets.get(pick.dataset.targetId)
        if (t) say(fill(S.suggestedAnnounce, { name: t.name }, nf))
      })
    }

    // --- wordings ---
    form.addEventListener('change', function (e) {
      if (e.target && e.target.name === 'message') refreshText(true)
    })
    if (anotherBtn) {
      anotherBtn.hidden = false
      anotherBtn.addEventListener('click', function () {
        const vis = variants.filter(function (v) { return !v.hidden })
        if (vis.length < 2) return
        const i = vis.findIndex(function (v) { return v.querySelector('input').checked })
        const next = vis[(i + 1) % vis.length]
        next.querySelector('input').checked = true
        refreshText(true)
        say(fill(S.variantAnnounce, { n: variants.indexOf(next) + 1, count: vis.length }, nf))
      })
    }
    if (resetBtn) {
      resetBtn.addEventListener('click', function () {
        refreshText(true)
        textarea.focus()
      })
    }
    textarea.addEventListener('input', update)

    // --- preview network ---
    function setPreview (ch) {
      if (ch === preview) return
      const t = currentTarget()
      if (edited() && t) {
        textarea.value = textFor(ch)
        preview = ch
        lastRendered = render(ch)
        ctx = { channel: ch, target: t }
        update()
      } else {
        preview = ch
        refreshText(false)
      }
      markPreview()
      if (ch === 'mastodon') showInstance(false)
    }
    if (switcher) {
      switcher.hidden = false
      switcher.addEventListener('click', function (e) {
        const b = e.target.closest('[data-preview-channel]')
        if (b) setPreview(b.dataset.previewChannel)
      })
    }

    // --- Mastodon instance, remembered on this device ---
    const STORE = 'bouteille.mastodonInstance'
    function stored () { try { return window.localStorage.getItem(STORE) || '' } catch (e) { return '' } }
    function remember (v) { try { if (v) window.localStorage.setItem(STORE, v) } catch (e) { /* private mode */ } }
    function showInstance (asking) {
      if (!instanceField) return
      instanceField.hidden = false
      instanceField.classList.toggle('is-asking', !!asking)
    }
    const instanceHelp = document.getElementById('instance-help')
    const instanceHelpText = instanceHelp ? instanceHelp.textContent : ''
    if (instanceInput) {
      if (!instanceInput.value) instanceInput.value = stored()
      instanceField.hidden = !instanceInput.value && preview !== 'mastodon' && formChannel !== 'mastodon'
      instanceInput.addEventListener('change', function () { remember(instanceInput.value.trim()) })
      instanceInput.addEventListener('input', function () {
        if (instanceInput.value.trim() && instanceField.classList.contains('is-asking')) {
          instanceField.classList.remove('is-asking')
          if (instanceHelp) instanceHelp.textContent = instanceHelpText
        }
      })
      // Enter in this field means "send on Mastodon", not the form's first button.
      instanceInput.addEventListener('keydown', function (e) {
        if (e.key !== 'Enter') return
        e.preventDefault()
        const b = form.querySelector('button[name="channel"][value="mastodon"]')
        if (b && !b.disabled) b.click()
      })
    }

    // --- sending ---
    form.addEventListener('submit', function (e) {
      const btn = e.submitter
      const ch = btn && btn.name === 'channel' ? btn.value : ''
      if (!ch) return
      if (ch === 'mastodon' && instanceInput) {
        const v = instanceInput.value.trim()
        if (!v) {
          e.preventDefault()
          showInstance(true)
          if (instanceHelp) instanceHelp.textContent = S.instanceAsk || instanceHelpText
          instanceInput.focus()
          say(S.instanceAsk || '')
          return
        }
        remember(v)
      }
      const t = currentTarget()
      if (t && (SOCIAL.indexOf(ch) >= 0 || edited() || textarea.value.trim())) {
        const text = textFor(ch)
        if (limits[ch] && measureLength(ch, text) > limits[ch]) {
          e.preventDefault()
          update()
          return
        }
        // The box now holds what is sent; it was produced for this channel.
        const wasEdited = edited()
        textarea.value = text
        lastRendered = wasEdited ? render(ch) : text
        ctx = { channel: ch, target: t }
        if (social.indexOf(ch) >= 0 && ch !== preview) {
          preview = ch
          markPreview()
        }
      }
      // The form data is built right after this event: change the key only once it is taken.
      if (keyInput) markUsed(keyInput.value)
      setTimeout(function () {
        if (keyInput) keyInput.value = uuid()
        if (edited()) update()
        else refreshText(false)
      }, 0)
    })

    // A key that was already sent must not be sent again: the page may come back from the
    // back/forward cache or the HTTP cache, or the browser may restore the old form values.
    const USED = 'bouteille.usedKeys'
    function usedKeys () { try { return parseJson(window.sessionStorage.getItem(USED), []) } catch (e) { return [] } }
    function markUsed (k) {
      try { window.sessionStorage.setItem(USED, JSON.stringify(usedKeys().concat(k).slice(-50))) } catch (e) { /* storage off */ }
    }
    function renewKeyIfUsed () {
      if (keyInput && usedKeys().indexOf(keyInput.value) >= 0) keyInput.value = uuid()
    }
    renewKeyIfUsed()
    window.addEventListener('pageshow', function (e) {
      if (e.persisted) {
        if (keyInput) keyInput.value = uuid()
        if (data.live !== false) progress.connect(data.slug)
        update()
      } else {
        renewKeyIfUsed()
      }
    })
    window.addEventListener('pagehide', function () { progress.disconnect() })

    // --- a short page on a phone, a new tab for the network, and the campaign's status live ---
    initPicker(root, 'target', document.getElementById('targets-chosen'), document.getElementById('targets-others'), document.getElementById('targets-more'))
    initPicker(root, 'message', document.getElementById('variants-chosen'), document.getElementById('variants-others'), document.getElementById('variants-more'))
    initTargetSearch(document.getElementById('target-search'), document.getElementById('targets-others'), locale)
    initNewTabSend(form, data.slug, locale, data.thanks)
    initLiveStatus(progress, S, document.getElementById('send-bar'))

    // --- start ---
    if (typeof data.total === 'number') progress.set(data.total, typeof data.goal === 'number' ? data.goal : Number(document.getElementById('progress-bar').max))
    onTargetChangeInitial()
    if (data.live !== false) progress.connect(data.slug)

    const alertBox = document.getElementById('form-error')
    if (alertBox) {
      alertBox.focus({ preventScroll: true })
      alertBox.scrollIntoView({ block: 'center' })
    }

    /** Which network a text was written for, from the way it names the target. */
    function detectChannel (text, t) {
      for (let i = 0; i < channels.length; i++) {
        if (text === render(channels[i])) return channels[i]
      }
      for (let j = 0; j < social.length; j++) {
        const h = (t.handles || {})[social[j]]
        if (h && text.indexOf('@' + h.replace(/^@/, '')) >= 0) return social[j]
      }
      return preview
    }

    function onTargetChangeInitial () {
      const t = currentTarget()
      if (countrySelect && countrySelect.value) {
        items.forEach(function (li) { li.hidden = li.dataset.country !== countrySelect.value })
        if (emptyNote) emptyNote.hidden = visibleItems().length > 0
      }
      if (!t) { update(); return }
      if (textarea.value.trim()) {
        // The form came back with the supporter's text (after an error): keep it as an edit.
        const from = social.indexOf(formChannel) >= 0 ? formChannel : detectChannel(textarea.value, t)
        if (social.indexOf(from) >= 0) preview = from
        ctx = { channel: from, target: t }
        lastRendered = render(from)
        onTargetChange()
      } else {
        onTargetChange()
      }
      markPreview()
    }
  }

  // ---------- compact pickers, new-tab send, live status ----------

  /**
   * The chosen card of a radio group (target or wording) sits first; the others wait in a <details>. A choice made
   * there with a pointer (or by a button: suggestion, another wording, country) brings the card up and folds the
   * list; one made with the keyboard waits until the list is folded, so arrow keys never move cards under the user.
   */
  function initPicker (root, name, chosen, others, more) {
    if (!chosen || !others || !more) return
    function sync () {
      const radio = root.querySelector('input[name="' + name + '"]:checked')
      const li = radio && radio.closest('li')
      if (!li || li.parentNode === chosen || more.open) return
      Array.prototype.slice.call(chosen.children).forEach(function (old) {
        const after = Array.prototype.find.call(others.children, function (x) { return Number(x.dataset.index) > Number(old.dataset.index) })
        others.insertBefore(old, after || null)
      })
      const focused = document.activeElement === radio
      chosen.appendChild(li)
      if (focused) radio.focus({ preventScroll: true })
    }
    function later () { setTimeout(sync, 0) }
    root.addEventListener('change', later)
    root.addEventListener('click', function (e) {
      const card = e.target.closest && e.target.closest('label')
      const radio = card && document.getElementById(card.htmlFor)
      if (radio && radio.name === name && others.contains(card) && e.detail > 0) {
        more.open = false
        setTimeout(function () {
          sync()
          radio.focus({ preventScroll: true })
          radio.closest('li').scrollIntoView({ block: 'nearest' })
        }, 0)
        return
      }
      later()
    })
    more.addEventListener('toggle', function () { if (!more.open) sync() })
  }

  function fold (s) { return String(s).normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase() }

  /** Filters the full target list by name, country, organisation or group as the supporter types. */
  function initTargetSearch (input, list, locale) {
    if (!input || !list) return
    const status = document.getElementById('target-search-status')
    const forms = parseJson(status && status.dataset.some, {})
    const plural = new Intl.PluralRules(locale)
    const cards = Array.prototype.slice.call(list.querySelectorAll('.target'))
    cards.forEach(function (li) { li.dataset.folded = fold(li.dataset.search || '') })
    input.addEventListener('input', function () {
      const words = fold(input.value).split(/\s+/).filter(Boolean)
      let n = 0
      cards.forEach(function (li) {
        const match = words.every(function (w) { return li.dataset.folded.indexOf(w) >= 0 })
        li.classList.toggle('is-unmatched', !match)
        if (match && !li.hidden) n++
      })
      if (!status) return
      status.textContent = !words.length ? '' : n === 0 ? status.dataset.none : new Intl.NumberFormat(locale).format(n) + ' ' + (forms[plural.select(n)] || forms.other || '')
    })
    // Enter in the search box must not send the form.
    input.addEventListener('keydown', function (e) { if (e.key === 'Enter') e.preventDefault() })
  }

  /**
   * A network send opens the network in a new tab, and this tab moves on to the thank-you step. The action is
   * recorded first (the JSON answer of the same POST); when that is refused, the plain form is sent in this tab, so
   * the server shows the page again with the reason and the supporter's text. Without a new window (blocked), the
   * plain form goes as before: 303 to the network.
   */
  function initNewTabSend (form, slug, locale, thanks) {
    const NEW_TAB = ['x', 'bluesky', 'mastodon', 'threads']
    form.addEventListener('submit', function (e) {
      const btn = e.submitter
      const ch = btn && btn.name === 'channel' ? btn.value : ''
      if (e.defaultPrevented || NEW_TAB.indexOf(ch) < 0 || !window.fetch || !window.URLSearchParams) return
      let body
      try { body = new URLSearchParams(new FormData(form, btn)) } catch (err) { return }
      const tab = window.open('', '_blank')
      if (!tab) return
      e.preventDefault()
      tab.opener = null
      window.fetch(form.action, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' }, body, credentials: 'same-origin' })
        .then(function (res) { return res.status === 201 ? res.json() : Promise.reject(new Error(String(res.status))) })
        .then(function (json) {
          tab.location.href = json.intentUrl
          // A copy put in the bottle: its withdrawal link is shown once, on the thank-you page.
          const withdraw = typeof json.withdrawUrl === 'string' ? '&withdraw=' + encodeURIComponent(json.withdrawUrl.split('/').pop()) : ''
          // In the widget the frame moves to its own short thanks (the thank-you page may not be framed).
          window.location.assign(thanks ? thanks + encodeURIComponent(ch) : '/c/' + encodeURIComponent(slug) + '/thanks?lang=' + encodeURIComponent(locale) + '&via=' + encodeURIComponent(ch) + withdraw)
        }, function () {
          tab.close()
          const input = document.createElement('input')
          input.type = 'hidden'
          input.name = 'channel'
          input.value = ch
          form.appendChild(input)
          form.submit()
        })
    })
  }

  /** A pause or closing announced on the page's stream closes the send bar and says so; reopening opens it again. */
  function initLiveStatus (progress, S, bar) {
    const note = document.getElementById('send-live')
    if (!bar || !note) return
    let shown = 'open'
    progress.on('status', function (e) {
      const st = parseJson(e.data, null)
      if (!st || typeof st.phase !== 'string' || st.phase === shown) return
      shown = st.phase
      bar.disabled = st.phase !== 'open'
      note.textContent = (S.live || {})[st.phase] || ''
      note.hidden = !note.textContent
    })
  }

  // ---------- countdown to a scheduled opening ----------

  /** Counts down to data-countdown (ISO); once the time has come, reloads to show the open page. */
  function initCountdown (el) {
    const at = Date.parse(el.getAttribute('data-countdown'))
    if (isNaN(at)) return
    const locale = document.documentElement.lang || 'en'
    const unit = function (u) {
      try { return new Intl.NumberFormat(locale, { style: 'unit', unit: u, unitDisplay: 'short' }) } catch (e) { return { format: function (n) { return n + ' ' + u } } }
    }
    const units = [['day', 86400], ['hour', 3600], ['minute', 60], ['second', 1]].map(function (u) { return { f: unit(u[0]), s: u[1] } })
    const label = el.getAttribute('data-countdown-label') || '{time}'
    // Already past when the page loaded: the worker is late, so look again less often.
    const late = at <= Date.now()
    el.hidden = false
    function tick () {
      let left = Math.max(0, Math.round((at - Date.now()) / 1000))
      if (left === 0) {
        el.textContent = el.getAttribute('data-countdown-soon') || ''
        // The worker opens the campaign at the time: give it a moment, then look again (less often if it is late).
        setTimeout(function () { window.location.reload() }, late ? 15000 : 2500)
        return
      }
      const parts = []
      units.forEach(function (u) {
        const n = Math.floor(left / u.s)
        left -= n * u.s
        if (n > 0 || parts.length > 0 || u.s === 1) parts.push(u.f.format(n))
      })
      el.textContent = label.replace('{time}', parts.slice(0, 3).join(' '))
      setTimeout(tick, 1000 - (Date.now() % 1000))
    }
    tick()
  }

  Array.prototype.forEach.call(document.querySelectorAll('[data-countdown]'), initCountdown)

  /**
   * The networks' rules (networks.js, ~37 kB compressed) are not part of the first view: they are fetched when the
   * browser is idle after the page has loaded, or at once when the supporter reaches for the form, then the page's
   * enhancements start. Until then the plain form works as without JavaScript.
   */
  function whenNetworks (root, start) {
    if (window.BouteilleNetworks) { NETWORKS = window.BouteilleNetworks; start(); return }
    let asked = false
    const events = ['pointerdown', 'keydown', 'focusin', 'touchstart']
    function load () {
      if (asked) return
      asked = true
      events.forEach(function (e) { root.removeEventListener(e, load, true) })
      const s = document.createElement('script')
      s.src = root.getAttribute('data-networks')
      s.onload = function () { NETWORKS = window.BouteilleNetworks; if (NETWORKS) start() }
      document.head.appendChild(s)
    }
    events.forEach(function (e) { root.addEventListener(e, load, { capture: true, passive: true }) })
    function idle () { (window.requestIdleCallback || function (f) { setTimeout(f, 50) })(load, { timeout: 1500 }) }
    if (document.readyState === 'complete') idle()
    else window.addEventListener('load', idle)
  }

  const campaign = document.getElementById('campaign')
  if (campaign) whenNetworks(campaign, function () { initCampaign(campaign) })
})()
