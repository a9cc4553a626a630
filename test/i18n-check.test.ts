import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { checkCatalogs } from '../server/i18n-check.ts'
import { main } from '../server/cli.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const sourceDirs = ['server', 'views', 'jobs', 'public/js'].map((d) => join(root, d))

function copyOfLocales (): string {
  const dir = mkdtempSync(join(tmpdir(), 'i18n-check-'))
  cpSync(join(root, 'views/locales'), dir, { recursive: true })
  return dir
}

function edit (file: string, change: (json: Record<string, any>) => void): void {
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>
  change(json)
  writeFileSync(file, JSON.stringify(json))
}

describe('i18n-check', () => {
  it('passes on the real tree, with French, English and Spanish supporter catalogs complete', () => {
    const report = checkCatalogs({ localesDir: join(root, 'views/locales'), sourceDirs })
    expect(report.ok).toBe(true)
    expect(report.missing.filter((m) => m.kind === 'supporter')).toEqual([])
    expect(report.lines.at(-1)).toMatch(/^i18n-check: ok/)
  })

  it('fails when a shipped supporter catalog lacks a key, and names it', () => {
    const dir = copyOfLocales()
    edit(join(dir, 'es.json'), (j) => { delete j.campaign.textLabel })
    const report = checkCatalogs({ localesDir: dir, sourceDirs })
    expect(report.ok).toBe(false)
    expect(report.missing).toContainEqual({ locale: 'es', kind: 'supporter', keys: ['campaign.textLabel'], fatal: true })
    expect(report.lines.join('\n')).toContain('error: es supporter catalog lacks 1 key')
  })

  it('fails on a French admin key missing too, but only notes a language shipped without its admin', () => {
    const dir = copyOfLocales()
    edit(join(dir, 'fr.admin.json'), (j) => { delete j.admin.nav.campaigns })
    expect(checkCatalogs({ localesDir: dir, sourceDirs }).ok).toBe(false)
    const other = copyOfLocales()
    writeFileSync(join(other, 'ar.json'), JSON.stringify({ lang: { label: 'اللغة' } }))
    const report = checkCatalogs({ localesDir: other, sourceDirs })
    expect(report.ok).toBe(true)
    expect(report.missing.find((m) => m.locale === 'ar')?.fatal).toBe(false)
    expect(report.lines.join('\n')).toMatch(/note: no admin catalog for .*ar/)
  })

  it('reports keys no source uses, and not the keys built from a prefix', () => {
    const dir = copyOfLocales()
    edit(join(dir, 'en.json'), (j) => { j.campaign.neverUsedAnywhere = 'x' })
    const report = checkCatalogs({ localesDir: dir, sourceDirs })
    expect(report.unused).toContain('campaign.neverUsedAnywhere')
    expect(report.unused).not.toContain('thanks.posted.thanksYes')
    expect(report.unused).not.toContain('errors.notFound.heading')
    expect(report.unused).not.toContain('campaign.textLabel')
  })

  it('runs as `bouteille i18n-check`, exit 0 on the real tree', async () => {
    const out: string[] = []
    const log = console.log
    console.log = (line: string) => { out.push(line) }
    try {
      expect(await main(['i18n-check'])).toBe(0)
    } finally {
      console.log = log
    }
    expect(out.at(-1)).toMatch(/i18n-check: ok/)
  })
})
