import { createHash } from 'node:crypto'
import { deflateSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const ENTRY = fileURLToPath(new URL('../domain/networks/browser.ts', import.meta.url))

export interface NetworksBundle { code: string, deflated: Buffer, etag: string }

let built: Promise<NetworksBundle> | undefined

/** The browser bundle of server/domain/networks (every network's rules), built once per process, in memory. */
export function networksBundle (): Promise<NetworksBundle> {
  built ??= build({
    entryPoints: [ENTRY],
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent'
  }).then((r) => {
    const code = r.outputFiles[0]!.text
    // ~110 kB minified, ~35 kB deflated: compressed once here, as the pages are.
    return { code, deflated: deflateSync(code, { level: 9 }), etag: `"${createHash('sha256').update(code).digest('base64url').slice(0, 22)}"` }
  })
  return built
}
