import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../server/config.ts'

const load = (env: Record<string, string>) => loadConfig(env, '/srv/bouteille')
const problem = (env: Record<string, string>): string => {
  try {
    load(env)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as Error).message
  }
  throw new Error('the settings were accepted')
}

describe('TRUST_PROXY', () => {
  it('refuses true, which would believe the client-written left-most X-Forwarded-For, and says what to set', () => {
    for (const raw of ['true', 'TRUE', ' true ']) {
      const message = problem({ TRUST_PROXY: raw })
      expect(message).toContain('TRUST_PROXY=true')
      expect(message).toContain('TRUST_PROXY=1')
      expect(message).toMatch(/CIDR/)
    }
  })

  it('is off by default and with false or 0', () => {
    expect(load({}).trustProxy).toBe(false)
    expect(load({ TRUST_PROXY: 'false' }).trustProxy).toBe(false)
    expect(load({ TRUST_PROXY: '0' }).trustProxy).toBe(false)
  })

  it('takes a hop count', () => {
    expect(load({ TRUST_PROXY: '1' }).trustProxy).toBe(1)
    expect(load({ TRUST_PROXY: '3' }).trustProxy).toBe(3)
  })

  it('takes a list of trusted addresses and CIDRs', () => {
    expect(load({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,fd00::/8' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1', 'fd00::/8'])
  })

  it('refuses anything else, naming it', () => {
    for (const raw of ['yes', '11', '1.5', '-1', '10.0.0.0/33', '10.0.0.1,example.org', ',']) {
      expect(problem({ TRUST_PROXY: raw })).toContain('TRUST_PROXY must be false, the number of proxies')
    }
  })
})

describe('stream and request limits', () => {
  it('defaults to 100 streams per address, 20,000 per process and a 2-minute request timeout', () => {
    const c = load({})
    expect(c.streamsPerAddress).toBe(100)
    expect(c.streamsPerProcess).toBe(20_000)
    expect(c.requestTimeoutMs).toBe(120_000)
  })

  it('takes and checks them', () => {
    const c = load({ STREAMS_PER_ADDRESS: '5', STREAMS_PER_PROCESS: '50', REQUEST_TIMEOUT_MS: '5000' })
    expect([c.streamsPerAddress, c.streamsPerProcess, c.requestTimeoutMs]).toEqual([5, 50, 5000])
    expect(problem({ STREAMS_PER_ADDRESS: '0' })).toContain('STREAMS_PER_ADDRESS must be a whole number')
    expect(problem({ STREAMS_PER_PROCESS: 'many' })).toContain('STREAMS_PER_PROCESS must be a whole number')
    expect(problem({ REQUEST_TIMEOUT_MS: '0' })).toContain('REQUEST_TIMEOUT_MS must be a whole number')
  })
})

describe('EMBED_ORIGINS', () => {
  it('is empty by default and takes origins, normalised', () => {
    expect(load({}).embedOrigins).toEqual([])
    expect(load({ EMBED_ORIGINS: 'https://Partner.example, http://localhost:8080/' }).embedOrigins).toEqual(['https://partner.example', 'http://localhost:8080'])
  })

  it('refuses a path, another scheme or a non-URL, naming it', () => {
    for (const raw of ['https://partner.example/page', 'ftp://partner.example', 'partner.example']) {
      expect(problem({ EMBED_ORIGINS: raw })).toContain('EMBED_ORIGINS must list origins')
    }
  })
})

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
