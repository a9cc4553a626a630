import { createHash } from 'node:crypto'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type Plugin } from 'esbuild'

const ENTRY = fileURLToPath(new URL('../domain/networks/browser.ts', import.meta.url))

// The page needs only @atproto/api's rich-text regular expressions; the package's index also pulls its ~700 kB of
// lexicons. The browser bundle takes the same export from the file that defines it (dist/rich-text/util.js).
const atprotoRichTextOnly: Plugin = {
  name: 'atproto-rich-text-only',
  setup (b) {
    b.onResolve({ filter: /^@atproto\/api$/ }, () => ({
      path: join(dirname(fileURLToPath(import.meta.resolve('@atproto/api'))), 'rich-text', 'util.js')
    }))
  }
}

export interface NetworksBundle { code: string, etag: string }

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
    logLevel: 'silent',
    plugins: [atprotoRichTextOnly]
  }).then((r) => {
    const code = r.outputFiles[0]!.text
    return { code, etag: `"${createHash('sha256').update(code).digest('base64url').slice(0, 22)}"` }
  })
  return built
}
