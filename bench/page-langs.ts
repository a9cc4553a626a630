import pg from 'pg'
import { Redis } from 'ioredis'
import { compare, log, type Comparison } from './compare.ts'
import { findWrk, wrkThroughput, type Target } from './load.ts'
import type { BenchOptions } from './options.ts'
import type { NoiseGuard } from './quiet.ts'
import { redisUrl } from './scratch.ts'
import { SLUG } from './servers.ts'

// The campaign page in French against hello world, then in Spanish and in Arabic (right to left, English chrome)
// against the French page: a language must cost the page nothing. The demo speaks French, English and Spanish; Arabic is added here.

const HEADERS = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'accept-encoding': 'gzip, deflate, br' }
export const PAGE_LANGS = ['fr', 'es', 'ar'] as const
/** A language's page against the French one: the same within the pairs' own spread (a few per cent on a quiet machine). */
export const SAME_AS_FRENCH = 0.95
export type PageLangs = Partial<Record<(typeof PAGE_LANGS)[number], Comparison>>

/** Gives the demo an Arabic text and variant, and tells the app's web side (as the admin would). */
async function addArabic (appDb: string, redisPrefix: string): Promise<void> {
  const client = new pg.Client({ connectionString: appDb })
  client.on('error', () => {})
  await client.connect()
  try {
    const { rows: [c] } = await client.query<{ id: string }>('SELECT id FROM campaigns WHERE slug = $1', [SLUG])
    if (!c) throw new Error(`no campaign ${SLUG}`)
    await client.query(`INSERT INTO campaign_texts (campaign_id, locale, title, pitch, call_to_action, share_text, share_call, hashtags)
      VALUES ($1, 'ar', 'الخسائر والأضرار: موّلوا الآن!', 'في مؤتمر المناخ، تقرر الحكومات هذا الأسبوع من سيدفع ثمن أضرار اضطراب المناخ. اكتبوا إلى صناع القرار.', 'اختاروا صانع قرار وأرسلوا رسالتكم.', 'كتبت إلى مفاوضي مؤتمر الأطراف. دوركم! #tweetbouteille', '', '{tweetbouteille}')
      ON CONFLICT DO NOTHING`, [c.id])
    await client.query(`INSERT INTO messages (campaign_id, locale, body, position)
      SELECT $1, 'ar', '{target}، الدول الأقل تلويثًا تدفع بالفعل فاتورة المناخ. موّلوا صندوق الخسائر والأضرار الآن. {hashtags} {link}', 0
      WHERE NOT EXISTS (SELECT 1 FROM messages WHERE campaign_id = $1 AND locale = 'ar')`, [c.id])
    await client.query("UPDATE campaigns SET languages = '{fr,en,es,ar}' WHERE id = $1", [c.id])
  } finally {
    await client.end()
  }
  const redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 })
  redis.on('error', () => {})
  try {
    await redis.connect()
    await redis.publish(`${redisPrefix}:campaigns`, JSON.stringify({ slug: SLUG }))
  } finally {
    redis.disconnect()
  }
}

/** GET /c/tweetbouteille?lang=fr against GET /hello, then ?lang=es and ?lang=ar against ?lang=fr, in the same run. */
export async function pageLangsScenario (opts: BenchOptions, noise: NoiseGuard, baseline: string, app: string, appDb: string, redisPrefix: string): Promise<PageLangs> {
  await addArabic(appDb, redisPrefix)
  const wrk = await findWrk()
  const out: PageLangs = {}
  for (const lang of PAGE_LANGS) {
    const path = `/c/${SLUG}?lang=${lang}`
    // The announcement reaches the web side in a moment: wait for the Arabic page to be the Arabic one.
    for (let i = 0; i < 50; i++) {
      const html = await (await fetch(`${app}${path}`, { headers: HEADERS })).text()
      if (html.includes(`<html lang="${lang}"`)) break
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    // French against hello world (the page's bar); every other language against the French page itself, pair by
    // pair back to back: the bar is "the same ratio as French", which a ratio of the two pages says directly.
    const versus: Target = lang === 'fr' ? { origin: baseline, method: 'GET', path: '/hello' } : { origin: app, method: 'GET', path: `/c/${SLUG}?lang=fr`, headers: HEADERS }
    log(`campaign page in ${lang} vs ${lang === 'fr' ? 'hello world' : 'the page in French'}${wrk ? ', with wrk' : ''}:`)
    const spec = {
      name: `page-${lang}`,
      opts,
      noise,
      baseline: versus,
      app: { origin: app, method: 'GET', path, headers: HEADERS },
      ok: '200',
      target: lang === 'fr' ? 0.6 : SAME_AS_FRENCH
    } as const
    out[lang] = wrk ? await compare({ ...spec, client: 'wrk', load: wrkThroughput(wrk, '200') }) : await compare(spec)
  }
  return out
}
