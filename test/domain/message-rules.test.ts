import { describe, expect, it } from 'vitest'
import type { Channel } from '../../server/db/schema.ts'
import { checkTemplate, lengthOn, previewTemplate, unknownPlaceholders, type RuleTarget } from '../../server/domain/message-rules.ts'
import { measureLength, renderMessage } from '../../server/domain/messages.ts'

const ALL: Channel[] = ['x', 'bluesky', 'mastodon', 'threads', 'email', 'bottle']
const link = 'https://bouteille.org/c/tweetbouteille'
const jonathan: RuleTarget = { id: 't1', name: 'Jonathan Harbour-Wells', handles: { x: 'JHarbourWells', bluesky: 'harbourwells.bsky.social', mastodon: 'jhw@tidewater.social', threads: 'j.harbourwells' }, email: 'envoy.office@example.net' }
const kenji: RuleTarget = { id: 't2', name: 'Kenji Umibe', handles: { bluesky: 'kenjiumibe.bsky.social' }, email: null }

describe('unknownPlaceholders', () => {
  it('finds placeholders that are not {target}, {hashtags} or {link}, with the one probably meant', () => {
    expect(unknownPlaceholders('{targte} act now {hashtags} {link} {Target} {name} {targte}')).toEqual([
      { name: 'targte', suggestion: 'target' },
      { name: 'Target', suggestion: 'target' },
      { name: 'name', suggestion: null }
    ])
    expect(unknownPlaceholders('{target}, {hashtags} {link}')).toEqual([])
  })
})

describe('checkTemplate', () => {
  it('accepts a template that fits every target on every channel', () => {
    expect(checkTemplate('{target} fund loss and damage now! {hashtags} {link}', [jonathan, kenji], ALL, ['tweetbottle'], link)).toEqual([])
  })

  it('refuses an empty template and unknown placeholders', () => {
    expect(checkTemplate('  \n', [jonathan], ALL, [], link)).toEqual([{ kind: 'empty' }])
    expect(checkTemplate('{targte}, act! {link}', [jonathan], ALL, [], link)).toEqual([{ kind: 'placeholder', name: 'targte', suggestion: 'target' }])
  })

  it('says which target, which network and by how many characters a template is too long', () => {
    // On X: ".@JHarbourWells " + 230 + " #tweetbottle " + a link counted 23 = 283; Kenji, named in full, takes 279.
    const template = '{target} ' + 'a'.repeat(230) + ' {hashtags} {link}'
    const problems = checkTemplate(template, [jonathan, kenji], ['x'], ['tweetbottle'], link)
    expect(problems).toEqual([{ kind: 'tooLong', target: jonathan, channel: 'x', mention: '@JHarbourWells', length: 283, limit: 280, over: 3 }])
    expect(measureLength('x', renderMessage(template, 'x', jonathan, ['tweetbottle'], link))).toBe(283)
    // Bluesky counts the link as its composer shortens it ("bouteille.org/c/tweetboute...", 29 instead of 38):
    // 9 more characters fit there, so 8 and 6 over with the full link both fit; 2 more letters: 1 over and 1 under.
    const bsky = checkTemplate(template, [jonathan, kenji], ['x', 'bluesky'], ['tweetbottle'], link)
    expect(bsky.map((p) => p.kind === 'tooLong' && [p.channel, p.target.name, p.over])).toEqual([['x', 'Jonathan Harbour-Wells', 3]])
    const longer = '{target} ' + 'a'.repeat(232) + ' {hashtags} {link}'
    expect(checkTemplate(longer, [jonathan, kenji], ['bluesky'], ['tweetbottle'], link).map((p) => p.kind === 'tooLong' && [p.target.name, p.length, p.over]))
      .toEqual([['Jonathan Harbour-Wells', 301, 1]])
  })

  it('checks a target without a handle on a network with its name, and skips e-mail for a target without an address', () => {
    const template = '{target} ' + 'b'.repeat(230) + ' {link}'
    const problems = checkTemplate(template, [kenji], ['x', 'email'], [], link)
    expect(problems).toHaveLength(0)
    const long = checkTemplate('{target} ' + 'b'.repeat(5000 - 12), [jonathan, kenji], ['email'], [], '')
    expect(long.map((p) => p.kind === 'tooLong' && p.target.name)).toEqual(['Jonathan Harbour-Wells'])
  })

  it('only checks the channels the campaign enabled', () => {
    const template = '{target} ' + 'c'.repeat(290) + ' {link}'
    expect(checkTemplate(template, [jonathan], ['mastodon', 'threads'], [], link)).toEqual([])
    expect(checkTemplate(template, [jonathan], ['bluesky'], [], link).map((p) => p.kind === 'tooLong' && p.channel)).toEqual(['bluesky'])
  })

  it('gives the same lengths as measuring each rendered text, for many targets at once', () => {
    const targets: RuleTarget[] = []
    for (let i = 0; i < 300; i++) {
      targets.push({ name: `Négociatrice ${'é'.repeat(i % 40)} ${i}`, handles: i % 3 ? { x: `h${i}`.padEnd((i % 15) + 1, '_'), bluesky: `n${i}.bsky.social`, mastodon: `u${i}@m${i}.social` } : {}, email: i % 2 ? null : `a${i}@example.org` })
    }
    const template = '{target}, ' + 'd'.repeat(220) + ' 🌊 {hashtags} {link}'
    const problems = checkTemplate(template, targets, ALL, ['tweetbottle'], link)
    const expected: string[] = []
    for (const channel of ALL) {
      for (const t of targets) {
        if (channel === 'email' && t.email === null) continue
        const length = measureLength(channel, renderMessage(template, channel, t, ['tweetbottle'], link))
        if (length > ({ x: 280, bluesky: 300, mastodon: 500, threads: 500, email: 5000, bottle: 1000 })[channel]) expected.push(`${channel}:${t.name}:${length}`)
      }
    }
    expect(expected.length).toBeGreaterThan(0)
    expect(problems.map((p) => p.kind === 'tooLong' ? `${p.channel}:${p.target.name}:${p.length}` : p.kind)).toEqual(expected)
  })
})

describe('lengthOn', () => {
  it('counts like measureLength', () => {
    for (const text of ['Océane, 1 000\u202f€ — « oui »', 'e\u0301', '👩‍👩‍👧 family', 'a\r\nb', 'plain']) {
      for (const c of ALL) expect(lengthOn(c, text), `${c} ${text}`).toBe(measureLength(c, text))
    }
  })
})

describe('previewTemplate', () => {
  it('renders the template for each enabled channel with its length and limit', () => {
    const lines = previewTemplate('{target} act now {hashtags} {link}', kenji, ['x', 'bluesky', 'email'], ['tweetbottle'], link)
    expect(lines).toEqual([
      { channel: 'x', text: `Kenji Umibe act now #tweetbottle ${link}`, length: 56, limit: 280, over: 0, usable: true, byHandle: false },
      { channel: 'bluesky', text: `@kenjiumibe.bsky.social act now #tweetbottle ${link}`, length: 45 + 'bouteille.org/c/tweetboute...'.length, limit: 300, over: 0, usable: true, byHandle: true },
      { channel: 'email', text: `Kenji Umibe act now #tweetbottle ${link}`, length: 33 + link.length, limit: 5000, over: 0, usable: false, byHandle: false }
    ])
  })
})

describe('tagProblems', () => {
  it('flags the hashtags an enabled network reads differently from how they are written, with what it reads', () => {
    expect(checkTemplate('{target} #COP² now {hashtags} {link}', [kenji], ['x', 'mastodon'], ['tweetbottle'], link)).toEqual([
      { kind: 'tagRead', tag: 'COP²', channel: 'x', read: 'COP' },
      { kind: 'tagRead', tag: 'COP²', channel: 'mastodon', read: 'COP' }
    ])
    // Bluesky cuts a tag at a zero-width non-joiner (TAG_REGEX); X and Mastodon keep it whole.
    expect(checkTemplate('{target} {hashtags} {link}', [kenji], ['x', 'bluesky', 'mastodon'], ['می‌خواهیم'], link)).toEqual([
      { kind: 'tagRead', tag: 'می‌خواهیم', channel: 'bluesky', read: 'می' }
    ])
    // Trailing punctuation is not part of what the writer meant; a tag of digits only is no tag at all.
    expect(checkTemplate('{target} #climat! #2030 {link}', [kenji], ['x'], [], link)).toEqual([{ kind: 'tagRead', tag: '2030', channel: 'x', read: null }])
    expect(checkTemplate('{target} #COP・16 {link}', [kenji], ['x', 'bluesky', 'mastodon', 'email'], [], link)).toEqual([])
  })
})
