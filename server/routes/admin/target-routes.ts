import { languageName } from '../../domain/languages.ts'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../../deps.ts'
import { HANDLE_NETWORKS, displayHandle } from '../../domain/handles.ts'
import { CSV_COLUMNS, CSV_MAX_BYTES, CSV_MAX_ROWS, targetsCsvStream, type CsvResult, type FileError, type RowError } from '../../domain/target-csv.ts'
import { countryCodes, countryFromInput, isCountryCode, validateTarget, type FieldError, type TargetFields, type TargetValues } from '../../domain/target-rules.ts'
import type { CampaignData } from '../../repos/campaign-repo.ts'
import type { TargetRow } from '../../repos/target-repo.ts'
import { roleAtLeast, type SessionUser } from '../../services/auth-service.ts'
import { IMAGE_MAX_BYTES } from '../../services/image-upload.ts'
import { ROLE_LOCALES, createTargetService } from '../../services/target-service.ts'
import { initials } from '../public/campaign-page.ts'
import { countryName } from '../../i18n.ts'
import { type Body, campaignOr404, campaignTitle, formErrors, notFound, str, translateError } from './content-helpers.ts'
import { UUID_RE } from './format.ts'
import { campaignTabs } from './campaign-tabs.ts'
import { acceptUploads, isUpload, uploaded } from './uploads.ts'

type CampaignRequest = FastifyRequest<{ Params: { id: string }, Querystring: { q?: string, page?: string, show?: string } }>
type TargetRequest = FastifyRequest<{ Params: { id: string, targetId: string } }>
type ImportRequest = FastifyRequest<{ Params: { id: string, importId: string } }>

const PAGE_SIZE = 100
const PREVIEW_ROWS = 20
const IMPORT_ID_RE = /^[A-Za-z0-9_-]{22}$/

/** Targets (decision-makers): list, add, edit, (de)activate, photo, CSV import and export. */
export async function targetRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const repo = deps.targetRepo
  const service = createTargetService({
    db: deps.db,
    repo,
    audit: deps.audit,
    redis: deps.redis,
    prefix: deps.config.redisPrefix,
    // After the commit: a lost announcement heals by itself (the catalog's TTL), so it never turns a saved change into an error.
    announce: (slug) => deps.announceCampaign(slug).catch((err: Error) => deps.log.warn(`target change not announced: ${err.message}`)),
    campaignLink: (c) => deps.actionService.campaignLink(c)
  })

  await acceptUploads(app, { fileSize: IMAGE_MAX_BYTES })

  const base = (c: { id: string }) => `/admin/campaigns/${c.id}/targets`

  /**
   * The form's fields, the country chosen by its name (in the admin's language, or French or English) or its code;
   * a name that is no country's is an error of its own, with the name as typed kept in the form.
   */
  function fieldsFrom (body: Body, locale: string): { fields: TargetFields, countryError: FieldError | null } {
    const typed = str(body.country)
    const code = countryFromInput(typed, [...new Set([locale, ...ROLE_LOCALES])])
    const fields = {
      name: str(body.name),
      role: Object.fromEntries(ROLE_LOCALES.map((l) => [l, str(body[`role_${l}`])])),
      organisation: str(body.organisation),
      country: code ?? typed,
      handles: Object.fromEntries(HANDLE_NETWORKS.map((n) => [n, str(body[n])])),
      email: str(body.email),
      groups: str(body.groups),
      language: str(body.language)
    }
    return { fields, countryError: code === null ? { field: 'country', key: 'admin.targets.errors.countryName', vars: { name: typed.trim().slice(0, 100) } } : null }
  }

  /** Every error of a form whose country name matched no country: that one first, then the other fields'. */
  const withCountryError = (fields: TargetFields, countryError: FieldError): FieldError[] =>
    [countryError, ...validateTarget({ ...fields, country: '' }, ROLE_LOCALES).errors]

  /** What the form shows: the stored values, or what was typed; a country by its name in the admin's language. */
  function formOf (t: TargetValues | TargetFields, locale: string): Record<string, string> {
    const groups = Array.isArray(t.groups) ? t.groups.join(', ') : t.groups
    return {
      name: t.name,
      ...Object.fromEntries(ROLE_LOCALES.map((l) => [`role_${l}`, t.role[l] ?? ''])),
      organisation: t.organisation,
      country: isCountryCode(t.country) ? countryName(locale, t.country) : t.country,
      ...Object.fromEntries(HANDLE_NETWORKS.map((n) => [n, t.handles[n] ?? ''])),
      email: t.email ?? '',
      groups,
      language: t.language ?? ''
    }
  }

  function renderForm (reply: FastifyReply, c: CampaignData, opts: { target: TargetRow | null, form: TargetValues | TargetFields, errors?: FieldError[], status?: number, createdWithoutPhoto?: boolean }) {
    const tr = reply.adminTranslator()
    const { byField, list } = formErrors(tr, opts.errors ?? [])
    const t = opts.target
    reply.code(opts.status ?? 200)
    return reply.adminView('admin/target-form.eta', {
      title: t ? tr.t('admin.targets.form.editTitle', { name: t.name }) : tr.t('admin.targets.form.newTitle'),
      campaign: { id: c.id, title: campaignTitle(c, tr.locale), url: `/admin/campaigns/${c.id}` },
      listUrl: base(c),
      action: t ? `${base(c)}/${t.id}` : base(c),
      target: t
        ? {
            id: t.id,
            name: t.name,
            active: t.active,
            photoUrl: t.photoUrl,
            initials: initials(t.name),
            photoAction: `${base(c)}/${t.id}/photo`,
            photoRemoveAction: `${base(c)}/${t.id}/photo/remove`,
            toggleAction: `${base(c)}/${t.id}/${t.active ? 'deactivate' : 'activate'}`
          }
        : null,
      form: formOf(opts.form, tr.locale),
      createdWithoutPhoto: opts.createdWithoutPhoto && t ? tr.t('admin.targets.form.createdWithoutPhoto', { name: t.name }) : null,
      errors: byField,
      errorList: list,
      roleLocales: ROLE_LOCALES.map((code) => ({ code, label: languageName(code, tr.locale) })),
      networks: HANDLE_NETWORKS.map((n) => ({ name: n, label: tr.t(`admin.targets.networks.${n}`), hint: tr.t(`admin.targets.form.hint.${n}`) })),
      // The datalist the country field offers: every country's name in the admin's language, in its alphabetical order.
      countries: countryCodes().map((code) => countryName(tr.locale, code)).sort(new Intl.Collator(tr.locale).compare),
      photoMaxMb: IMAGE_MAX_BYTES / 1024 / 1024
    })
  }

  /** Stores an uploaded photo for a target (service.setPhoto); the error for the form's photo field when refused. */
  async function storePhoto (user: SessionUser, c: CampaignData, t: TargetRow, file: unknown): Promise<FieldError | null> {
    let error: string | null = null
    if (!isUpload(file) || file.data.length === 0) error = 'admin.targets.photo.errors.missing'
    else if (file.truncated) error = 'admin.targets.photo.errors.tooLarge'
    else {
      const result = await service.setPhoto(user, c, t, file.data)
      if (!result.ok) error = result.error
    }
    return error ? { field: 'photo', key: error, vars: { max: IMAGE_MAX_BYTES / 1024 / 1024 } } : null
  }

  async function targetOr404 (request: TargetRequest, reply: FastifyReply): Promise<{ c: CampaignData, t: TargetRow } | null> {
    const c = await campaignOr404(deps, request.params.id, reply)
    if (!c) return null
    const t = UUID_RE.test(request.params.targetId) ? await repo.find(c.id, request.params.targetId) : null
    if (!t) {
      await notFound(reply, c.id)
      return null
    }
    return { c, t }
  }

  app.get('/admin/campaigns/:id/targets', { config: { access: 'viewer' } }, async (request: CampaignRequest, reply) => {
    const c = await campaignOr404(deps, request.params.id, reply)
    if (!c) return reply
    const tr = reply.adminTranslator()
    const all = await repo.list(c.id)
    const q = str(request.query.q).trim().slice(0, 100)
    const show = ['active', 'inactive'].includes(str(request.query.show)) ? str(request.query.show) : 'all'
    const needle = q.toLowerCase()
    const matching = all.filter((t) => (show === 'all' || t.active === (show === 'active')) &&
      (!needle || [t.name, t.organisation, t.country, t.email ?? '', ...Object.values(t.handles), ...t.groups].some((v) => String(v).toLowerCase().includes(needle))))
    const pages = Math.max(1, Math.ceil(matching.length / PAGE_SIZE))
    const page = Math.min(pages, Math.max(1, Number.parseInt(str(request.query.page), 10) || 1))
    const pageUrl = (p: number) => `${base(c)}?${new URLSearchParams({ ...(q ? { q } : {}), ...(show !== 'all' ? { show } : {}), ...(p > 1 ? { page: String(p) } : {}) }).toString()}`.replace(/\?$/, '')
    const canEdit = roleAtLeast(request.user!.role, 'editor')
    return reply.adminView('admin/targets.eta', {
      tabs: campaignTabs(tr, c, 'targets'),
      title: tr.t('admin.targets.title', { campaign: campaignTitle(c, tr.locale) }),
      campaign: { id: c.id, title: campaignTitle(c, tr.locale), url: `/admin/campaigns/${c.id}`, messagesUrl: `/admin/campaigns/${c.id}/messages` },
      canEdit,
      newUrl: `${base(c)}/new`,
      importUrl: `${base(c)}/import`,
      exportUrl: `${base(c)}/export.csv`,
      listUrl: base(c),
      q,
      show,
      counts: { all: all.length, active: all.filter((t) => t.active).length, inactive: all.filter((t) => !t.active).length, shown: matching.length },
      targets: matching.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE).map((t) => ({
        id: t.id,
        name: t.name,
        initials: initials(t.name),
        photoUrl: t.photoUrl,
        role: t.role[tr.locale] ?? Object.values(t.role)[0] ?? '',
        organisation: t.organisation,
        country: t.country,
        countryName: countryName(tr.locale, t.country),
        handles: HANDLE_NETWORKS.filter((n) => t.handles[n]).map((n) => ({ network: tr.t(`admin.targets.networks.${n}`), handle: displayHandle(t.handles[n]!) })),
        email: t.email,
        groups: t.groups,
        active: t.active,
        editUrl: `${base(c)}/${t.id}/edit`,
        toggleAction: `${base(c)}/${t.id}/${t.active ? 'deactivate' : 'activate'}`
      })),
      pagination: pages > 1 ? { page, pages, prev: page > 1 ? pageUrl(page - 1) : null, next: page < pages ? pageUrl(page + 1) : null } : null
    })
  })

  app.get('/admin/campaigns/:id/targets/new', { config: { access: 'editor' } }, async (request: CampaignRequest, reply) => {
    const c = await campaignOr404(deps, request.params.id, reply)
    if (!c) return reply
    return renderForm(reply, c, { target: null, form: { name: '', role: {}, organisation: '', country: '', handles: {}, email: '', groups: '', language: '' } })
  })

  app.post('/admin/campaigns/:id/targets', { config: { access: 'editor' } }, async (request: CampaignRequest, reply) => {
    const c = await campaignOr404(deps, request.params.id, reply)
    if (!c) return reply
    const body = (request.body ?? {}) as Body
    const { fields, countryError } = fieldsFrom(body, reply.adminTranslator().locale)
    if (countryError) return renderForm(reply, c, { target: null, form: fields, errors: withCountryError(fields, countryError), status: 400 })
    const result = await service.create(request.user!, c, fields)
    if (!result.ok) return renderForm(reply, c, { target: null, form: fields, errors: result.errors, status: 400 })
    // A photo chosen with the new target: stored as the edit form's upload stores it. Refused, the target stays
    // created and its edit form says why, to choose another photo there.
    if (uploaded(body.photo)) {
      const photoError = await storePhoto(request.user!, c, result.target, body.photo)
      if (photoError) return renderForm(reply, c, { target: result.target, form: result.target, errors: [photoError], status: 400, createdWithoutPhoto: true })
    }
    reply.flash({ type: 'success', key: 'admin.targets.flash.created', vars: { name: result.target.name } })
    return reply.redirect(base(c), 303)
  })

  app.get('/admin/campaigns/:id/targets/:targetId/edit', { config: { access: 'editor' } }, async (request: TargetRequest, reply) => {
    const found = await targetOr404(request, reply)
    if (!found) return reply
    return renderForm(reply, found.c, { target: found.t, form: found.t })
  })

  app.post('/admin/campaigns/:id/targets/:targetId', { config: { access: 'editor' } }, async (request: TargetRequest, reply) => {
    const found = await targetOr404(request, reply)
    if (!found) return reply
    const { fields, countryError } = fieldsFrom((request.body ?? {}) as Body, reply.adminTranslator().locale)
    if (countryError) return renderForm(reply, found.c, { target: found.t, form: fields, errors: withCountryError(fields, countryError), status: 400 })
    const result = await service.update(request.user!, found.c, found.t, fields)
    if (!result.ok) return renderForm(reply, found.c, { target: found.t, form: fields, errors: result.errors, status: 400 })
    reply.flash({ type: 'success', key: 'admin.targets.flash.saved', vars: { name: result.target.name } })
    return reply.redirect(base(found.c), 303)
  })

  for (const [verb, active] of [['deactivate', false], ['activate', true]] as const) {
    app.post(`/admin/campaigns/:id/targets/:targetId/${verb}`, { config: { access: 'editor' } }, async (request: TargetRequest, reply) => {
      const found = await targetOr404(request, reply)
      if (!found) return reply
      const result = await service.setActive(request.user!, found.c, found.t, active)
      if (!result.ok) return renderForm(reply, found.c, { target: found.t, form: found.t, errors: result.errors, status: 400 })
      reply.flash({ type: 'success', key: `admin.targets.flash.${verb}d`, vars: { name: found.t.name } })
      return reply.redirect(base(found.c), 303)
    })
  }

  app.post('/admin/campaigns/:id/targets/:targetId/photo', { config: { access: 'editor' } }, async (request: TargetRequest, reply) => {
    const found = await targetOr404(request, reply)
    if (!found) return reply
    const { c, t } = found
    const error = await storePhoto(request.user!, c, t, ((request.body ?? {}) as Body).photo)
    if (error) return renderForm(reply, c, { target: t, form: t, errors: [error], status: 400 })
    reply.flash({ type: 'success', key: 'admin.targets.flash.photo', vars: { name: t.name } })
    return reply.redirect(`${base(c)}/${t.id}/edit`, 303)
  })

  app.post('/admin/campaigns/:id/targets/:targetId/photo/remove', { config: { access: 'editor' } }, async (request: TargetRequest, reply) => {
    const found = await targetOr404(request, reply)
    if (!found) return reply
    if (found.t.photoUrl) await service.removePhoto(request.user!, found.c, found.t)
    reply.flash({ type: 'success', key: 'admin.targets.flash.photoRemoved', vars: { name: found.t.name } })
    return reply.redirect(`${base(found.c)}/${found.t.id}/edit`, 303)
  })

  // ---------- CSV ----------

  function renderImport (reply: FastifyReply, c: CampaignData, opts: { result?: CsvResult | null, fileError?: FileError | null, lateErrors?: RowError[], importId?: string | null, fileName?: string, status?: number, unavailable?: boolean } = {}) {
    const tr = reply.adminTranslator()
    const result = opts.result ?? null
    const fileErrors = [...(opts.fileError ? [opts.fileError] : []), ...(result && !result.ok ? result.errors : [])]
    const ok = result?.ok ? result : null
    const rowErrors: RowError[] = ok?.errors ?? []
    reply.code(opts.status ?? 200)
    return reply.adminView('admin/targets-import.eta', {
      unavailable: opts.unavailable ? tr.t('admin.targets.import.unavailable') : null,
      title: tr.t('admin.targets.import.title', { campaign: campaignTitle(c, tr.locale) }),
      campaign: { id: c.id, title: campaignTitle(c, tr.locale), url: `/admin/campaigns/${c.id}` },
      listUrl: base(c),
      action: `${base(c)}/import`,
      exportUrl: `${base(c)}/export.csv`,
      columns: CSV_COLUMNS,
      maxRows: CSV_MAX_ROWS,
      maxMb: CSV_MAX_BYTES / 1024 / 1024,
      fileName: opts.fileName ?? '',
      fileErrors: fileErrors.map((e) => translateError(tr, e)),
      // Rows that were fine at the preview but are not any more (a target added meanwhile).
      lateErrors: (opts.lateErrors ?? []).map((e) => ({ row: e.row, column: e.field, message: translateError(tr, e) })),
      preview: ok
        ? {
            encoding: ok.encoding.toUpperCase() + (ok.bom ? ' (BOM)' : ''),
            delimiter: ok.delimiter === '\t' ? tr.t('admin.targets.import.tab') : ok.delimiter,
            count: ok.rows.length,
            errorCount: rowErrors.length,
            badRows: new Set(rowErrors.map((e) => e.row)).size,
            shown: Math.min(PREVIEW_ROWS, ok.rows.length),
            rows: ok.rows.slice(0, PREVIEW_ROWS).map(({ row, values: v }) => ({
              row,
              name: v.name,
              role: v.role[tr.locale] ?? Object.values(v.role)[0] ?? '',
              organisation: v.organisation,
              country: v.country,
              // Each handle with its network: "@alice" alone does not say whether it is X or Threads.
              handles: HANDLE_NETWORKS.filter((n) => v.handles[n]).map((n) => `${tr.t(`admin.targets.networks.${n}`)} ${displayHandle(v.handles[n]!)}`).join(' · '),
              email: v.email ?? '',
              groups: v.groups.join(', '),
              bad: rowErrors.some((e) => e.row === row)
            })),
            errors: rowErrors.map((e) => ({ row: e.row, column: e.field, message: translateError(tr, e) })),
            confirmAction: opts.importId ? `${base(c)}/import/${opts.importId}/confirm` : null
          }
        : null
    })
  }

  // The preview waits in Redis for its confirmation: without Redis, a 503 that says so (the upload form stays, to try again).
  const unavailable = (reply: FastifyReply, c: CampaignData, fileName = '') =>
    renderImport(reply.header('retry-after', '60'), c, { unavailable: true, fileName, status: 503 })

  app.get('/admin/campaigns/:id/targets/import', { config: { access: 'editor' } }, async (request: CampaignRequest, reply) => {
    const c = await campaignOr404(deps, request.params.id, reply)
    if (!c) return reply
    return renderImport(reply, c)
  })

  app.post('/admin/campaigns/:id/targets/import', { config: { access: 'editor', multipartOptions: { limits: { fileSize: CSV_MAX_BYTES } } } }, async (request: CampaignRequest, reply) => {
    const c = await campaignOr404(deps, request.params.id, reply)
    if (!c) return reply
    const file = ((request.body ?? {}) as Body).file
    if (!uploaded(file)) return renderImport(reply, c, { fileError: { key: 'admin.targets.csv.errors.noFile' }, status: 400 })
    if (file.truncated) return renderImport(reply, c, { fileError: { key: 'admin.targets.csv.errors.tooLarge', vars: { max: CSV_MAX_BYTES / 1024 / 1024 } }, fileName: file.filename, status: 400 })
    const preview = await service.previewImport(request.user!, c, file.data, file.filename.slice(0, 200))
    if ('unavailable' in preview) return unavailable(reply, c, file.filename)
    const { result, importId } = preview
    return renderImport(reply, c, { result, importId, fileName: file.filename, status: importId ? 200 : 400 })
  })

  app.post('/admin/campaigns/:id/targets/import/:importId/confirm', { config: { access: 'editor' } }, async (request: ImportRequest, reply) => {
    const c = await campaignOr404(deps, request.params.id, reply)
    if (!c) return reply
    if (!IMPORT_ID_RE.test(request.params.importId)) return notFound(reply, c.id)
    const result = await service.confirmImport(request.user!, c, request.params.importId)
    if (result.ok) {
      reply.flash({ type: 'success', key: 'admin.targets.flash.imported', vars: { count: result.count } })
      return reply.redirect(base(c), 303)
    }
    if (result.reason === 'notFound') return notFound(reply, c.id)
    if (result.reason === 'unavailable') return unavailable(reply, c)
    if (result.reason === 'expired') return renderImport(reply, c, { fileError: { key: 'admin.targets.csv.errors.expired' }, status: 410 })
    return renderImport(reply, c, { fileError: { key: 'admin.targets.csv.errors.changed' }, lateErrors: result.errors, status: 409 })
  })

  app.get('/admin/campaigns/:id/targets/export.csv', { config: { access: 'viewer' } }, async (request: CampaignRequest, reply) => {
    const c = await campaignOr404(deps, request.params.id, reply)
    if (!c) return reply
    const rows = await repo.list(c.id)
    const name = `${c.slug}-targets-${new Date().toISOString().slice(0, 10)}.csv`
    reply.header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name}"`)
      .header('cache-control', 'no-store')
    return reply.send(targetsCsvStream(rows))
  })
}
