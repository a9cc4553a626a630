import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../server/config.ts'

const fresh = () => mkdtempSync(join(tmpdir(), 'bouteille-config-'))

describe('SECRET', () => {
  it('refuses the published placeholders in every mode, naming SECRET', () => {
    for (const SECRET of ['change-me-to-32-random-characters-or-more', 'bouteille-development-secret-change-me', 'please-change-me-0123456789abcdef0123']) {
      for (const NODE_ENV of [undefined, 'development', 'production']) {
        expect(() => loadConfig({ SECRET, NODE_ENV }, fresh()), `${SECRET} ${NODE_ENV}`).toThrow(ConfigError)
        expect(() => loadConfig({ SECRET, NODE_ENV }, fresh())).toThrow(/SECRET is a published placeholder/)
      }
    }
  })

  it('refuses a secret shorter than 32 characters', () => {
    expect(() => loadConfig({ SECRET: 'a'.repeat(31) }, fresh())).toThrow(/SECRET must be at least 32 characters long \(got 31\)/)
    expect(loadConfig({ SECRET: 'k'.repeat(32) }, fresh()).secret).toBe('k'.repeat(32))
  })

  it('generates a random secret on first start, keeps it in DATA_DIR with mode 0600 and reuses it', () => {
    const cwd = fresh()
    const first = loadConfig({}, cwd)
    expect(first.secret).toMatch(/^[0-9a-f]{64}$/)
    const file = join(cwd, '.data', 'secret')
    expect(readFileSync(file, 'utf8').trim()).toBe(first.secret)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(loadConfig({}, cwd).secret).toBe(first.secret)
    // Another installation gets its own.
    expect(loadConfig({}, fresh()).secret).not.toBe(first.secret)
    // NODE_ENV=production no longer needs SECRET set: the generated one is as good.
    expect(loadConfig({ NODE_ENV: 'production', DATA_DIR: join(cwd, '.data') }, '/').secret).toBe(first.secret)
  })

  it('says what to do when DATA_DIR cannot hold the secret', () => {
    const cwd = fresh()
    writeFileSync(join(cwd, 'a-file'), '')
    expect(() => loadConfig({ DATA_DIR: 'a-file/data' }, cwd)).toThrow(/SECRET is not set and .* could not be created or read/)
  })
})
