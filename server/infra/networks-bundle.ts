import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const ENTRY = fileURLToPath(new URL('../domain/networks/browser.ts', import.meta.url))

export interface NetworksBundle { code: string }

let built: Promise<NetworksBundle> | undefined

/** The browser bundle of server/domain/networks (every network's rules), built once per process, in memory (~110 kB minified; served hashed and compressed with the static files). */
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
  }).then((r) => ({ code: r.outputFiles[0]!.text }))
  return built
}
