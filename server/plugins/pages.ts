import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { endonym, textDirection as textDirectionOf } from '../domain/languages.ts'
import type { I18n, Translator } from '../i18n.ts'
import type { ErrorPageView, PageBase } from '../routes/public/view-models.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The language for this request: ?lang=, then Accept-Language, then the given fallback. */
    locale: (fallback?: string) => string
    /** The campaign's language for this request: ?lang=, then Accept-Language, among the campaign's languages; else its default. */
    campaignLocale: (c: { languages: readonly string[], defaultLocale: string }) => string
    /** The client asked for JSON (Accept: application/json before text/html). */
    wantsJson: () => boolean
    /** A language an area already settled on for this request (the admin's remembered one): error pages use it. */
    settledLocale: string | null
  }
  interface FastifyReply {
    /** Fields every page template needs, in the given language. */
    pageBase: (tr: Translator, meta: PageMeta) => PageBase
    /** Sends an error as a page or as {"error"} JSON, as the client prefers. */
    sendError: (status: number, key: string, opts?: { vars?: Record<string, string | number>, back?: { href: string, labelKey: string }, fallbackLocale?: string }) => FastifyReply
  }
}

/**
 * What a page says about itself: `languages` (a campaign's) replaces the catalogs' in the switch and the alternates;
 * alternates default to one per language of the page's path, when it has a canonical URL.
 */
export type PageMeta = { title: string, description?: string, canonicalUrl?: string, nonce?: string, path?: string, languages?: readonly string[] } & Pick<PageBase, 'alternates' | 'image'>

const HEADINGS: Record<number, string> = {
  400: 'errors.badRequest.heading',
  404: 'errors.notFound.heading',
  429: 'errors.rateLimited.heading',
  500: 'errors.server.heading'
}

/** Language negotiation, the common page fields and error pages. */
export default fp(async (app, { i18n, publicUrl }: { i18n: I18n, publicUrl: string }) => {
  app.decorateRequest('locale', function (this: FastifyRequest, fallback = 'fr') {
    const q = this.query as Record<string, unknown> | undefined
    const lang = typeof q?.lang === 'string' ? q.lang : undefined
    return i18n.negotiate(lang, this.headers['accept-language'], fallback)
  })
  app.decorateRequest('campaignLocale', function (this: FastifyRequest, c: { languages: readonly string[], defaultLocale: string }) {
    const q = this.query as Record<string, unknown> | undefined
    const lang = typeof q?.lang === 'string' ? q.lang : undefined
    return i18n.negotiate(lang, this.headers['accept-language'], c.defaultLocale, c.languages)
  })
  app.decorateRequest('settledLocale', null)
  app.decorateRequest('wantsJson', function (this: FastifyRequest) {
    const accept = this.headers.accept ?? ''
    const json = accept.indexOf('application/json')
    if (json < 0) return false
    const html = accept.indexOf('text/html')
    return html < 0 || json < html
  })

  app.decorateReply('pageBase', function (this: FastifyReply, tr: Translator, meta: PageMeta): PageBase {
    // A page shown in answer to a POST links its languages to the page itself, not to the form's target.
    const url = new URL(meta.path ?? this.request.url, 'http://x')
    let alternates = meta.alternates
    if (!alternates && meta.canonicalUrl) {
      // Absolute, one per language (the page itself included), and x-default: the page without a language.
      const alt = new URL(url.pathname + url.search, publicUrl)
      alt.searchParams.delete('lang')
      const xDefault = alt.href
      alternates = [...(meta.languages ?? i18n.locales).map((code) => {
        alt.searchParams.set('lang', code)
        return { hreflang: code, href: alt.href }
      }), { hreflang: 'x-default', href: xDefault }]
    }
    return {
      t: tr.t,
      n: tr.n,
      locale: tr.locale,
      dir: tr.dir,
      chrome: tr.chrome,
      languages: (meta.languages ?? i18n.locales).map((code) => {
        url.searchParams.set('lang', code)
        return { code, label: endonym(code), dir: tr.dir === textDirectionOf(code) ? null : textDirectionOf(code), href: url.pathname + url.search, current: code === tr.locale }
      }),
      nonce: meta.nonce ?? this.pageNonce(),
      title: meta.title,
      description: meta.description,
      canonicalUrl: meta.canonicalUrl,
      alternates,
      image: meta.image
    }
  })

  app.decorateReply('sendError', function (this: FastifyReply, status: number, key: string, opts = {}) {
    const tr = i18n.translator(this.request.settledLocale ?? this.request.locale(opts.fallbackLocale))
    const message = tr.t(key, opts.vars)
    this.code(status)
    if (this.request.wantsJson()) return this.send({ error: message })
    const heading = tr.t(key.endsWith('.message') ? key.replace(/\.message$/, '.heading') : (HEADINGS[status] ?? 'errors.badRequest.heading'))
    const view: ErrorPageView = {
      ...this.pageBase(tr, { title: heading }),
      status,
      heading,
      message,
      back: opts.back ? { href: opts.back.href, label: tr.t(opts.back.labelKey) } : undefined
    }
    return this.type('text/html; charset=utf-8').view('public/error.eta', view)
  })
}, { name: 'pages', dependencies: ['security', 'views'] })
