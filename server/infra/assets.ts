import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { extname, join, relative, sep } from 'node:path'
import { promisify } from 'node:util'
import { brotliCompress, constants, gzip } from 'node:zlib'

const brotli = promisify(brotliCompress)
const gz = promisify(gzip)

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2'
}
const COMPRESSIBLE = new Set(['.css', '.js', '.svg', '.txt', '.json', '.ico'])

/** One static file as served: its bytes, and its brotli and gzip forms when they are smaller. */
export interface Asset {
  /** the path under /assets/ it was written with (css/app.css) */
  path: string
  /** the content-hashed path (css/app.5d41402abc.css) */
  hashed: string
  type: string
  etag: string
  body: Buffer
  br: Buffer | null
  gzip: Buffer | null
}

export interface AssetStore {
  /** The content-hashed URL of a file under public/ ('css/app.css' → '/assets/css/app.5d41402abc.css'); unknown files keep their name. */
  url: (path: string) => string
  /** The file behind a path under /assets/, and whether the path named it by its hash. */
  find: (path: string) => { asset: Asset, hashed: boolean } | undefined
  /** Every asset path in a text (a template, a stylesheet) replaced by its hashed URL. */
  hashPaths: (text: string) => string
  list: () => Asset[]
}

// Compressed forms by content, for the process: an app built again (tests, a restart in place) compresses nothing twice.
const compressed = new Map<string, Promise<{ br: Buffer | null, gzip: Buffer | null }>>()

function compress (key: string, body: Buffer): Promise<{ br: Buffer | null, gzip: Buffer | null }> {
  let done = compressed.get(key)
  if (!done) {
    // Kept only when they save a tenth at least: below that the client's decoding is not worth it.
    const worth = (b: Buffer): Buffer | null => b.length < body.length * 0.9 ? b : null
    done = Promise.all([
      brotli(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } }),
      gz(body, { level: 9 })
    ]).then(([b, g]) => ({ br: worth(b), gzip: worth(g) }))
    compressed.set(key, done)
  }
  return done
}

function walk (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)])
}

const ASSET_PATH = /\/assets\/([A-Za-z0-9_\-./]+\.[a-z0-9]+)/g

/**
 * Reads every file under root once, names it by its content's hash and compresses it (brotli, gzip) off the
 * event loop. Stylesheets are read after the files they point to, with those URLs hashed too, so a new image
 * makes a new stylesheet name. `extra` adds generated files (the networks bundle).
 */
export async function loadAssets (root: string, extra: Array<{ path: string, body: Buffer }> = []): Promise<AssetStore> {
  const files = [
    ...walk(root).map((file) => ({ path: relative(root, file).split(sep).join('/'), body: readFileSync(file) })),
    ...extra
  ].filter((f) => TYPES[extname(f.path)] !== undefined)
  const byPath = new Map<string, Asset>()
  const byHashed = new Map<string, Asset>()
  const url = (path: string): string => `/assets/${byPath.get(path)?.hashed ?? path}`
  const hashPaths = (text: string): string => text.replace(ASSET_PATH, (all, path: string) => byPath.has(path) ? url(path) : all)

  // Stylesheets last: they refer to the others.
  const css = (f: { path: string }): number => f.path.endsWith('.css') ? 1 : 0
  for (const f of files.sort((a, b) => css(a) - css(b))) {
    const ext = extname(f.path)
    const body = ext === '.css' ? Buffer.from(hashPaths(f.body.toString('utf8'))) : f.body
    const hash = createHash('sha256').update(body).digest('hex')
    const asset: Asset = {
      path: f.path,
      hashed: `${f.path.slice(0, -ext.length)}.${hash.slice(0, 10)}${ext}`,
      type: TYPES[ext]!,
      etag: `"${hash.slice(0, 22)}"`,
      body,
      br: null,
      gzip: null
    }
    byPath.set(asset.path, asset)
    byHashed.set(asset.hashed, asset)
  }
  await Promise.all([...byPath.values()].filter((a) => COMPRESSIBLE.has(extname(a.path))).map(async (a) => {
    Object.assign(a, await compress(a.etag, a.body))
  }))
  return {
    url,
    hashPaths,
    find: (path) => {
      const hashed = byHashed.get(path)
      if (hashed) return { asset: hashed, hashed: true }
      const plain = byPath.get(path)
      return plain ? { asset: plain, hashed: false } : undefined
    },
    list: () => [...byPath.values()]
  }
}

const encodingAnswers = new Map<string, 'br' | 'gzip' | null>()

/**
 * The encoding to answer with for an Accept-Encoding header: brotli, else gzip, else none (a quality of 0 refuses
 * one; `*` takes any). RFC 9110 §12.5.3 (https://www.rfc-editor.org/rfc/rfc9110#section-12.5.3; checked 2026-12-04).
 * Browsers send a handful of distinct headers: each is read once.
 */
export function preferredEncoding (header: string | undefined): 'br' | 'gzip' | null {
  if (!header) return null
  let answer = encodingAnswers.get(header)
  if (answer === undefined) {
    const q = new Map<string, number>()
    for (const item of header.split(',')) {
      const [name = '', ...params] = item.trim().toLowerCase().split(';')
      const value = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined)
      q.set(name.trim(), value === undefined ? 1 : Number(value))
    }
    const takes = (name: string): boolean => (q.get(name) ?? q.get('*') ?? 0) > 0
    answer = takes('br') ? 'br' : takes('gzip') ? 'gzip' : null
    if (encodingAnswers.size >= 256) encodingAnswers.clear()
    encodingAnswers.set(header, answer)
  }
  return answer
}
