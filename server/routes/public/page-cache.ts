import { randomUUID } from 'node:crypto'

// Rendered into cached pages in place of the per-view values, then swapped for fresh ones on every view.
export const NONCE_MARK = 'n0nceMarkBouteille0000000'
export const KEY_MARK = '00000000-0000-4000-8000-0000b0u7e111'
const SPLIT = new RegExp(`(${NONCE_MARK}|${KEY_MARK})`)

interface Entry { parts: string[], slots: string[], deps: readonly unknown[] }

export type PageCache = ReturnType<typeof createPageCache>

/**
 * Keeps rendered pages whose only per-view values are the CSP nonce and the idempotency key, so a page view
 * costs two random values and a string join. An entry is rebuilt when any of its deps (the campaign's content,
 * its progress document) is no longer the same object.
 */
export function createPageCache (max = 500) {
  const entries = new Map<string, Entry>()

  return {
    async render (key: string, deps: readonly unknown[], build: () => Promise<string>, nonce: string): Promise<{ html: string, formKey: string }> {
      let entry = entries.get(key)
      if (!entry || entry.deps.length !== deps.length || entry.deps.some((d, i) => d !== deps[i])) {
        const pieces = (await build()).split(SPLIT)
        entry = { parts: pieces.filter((_, i) => i % 2 === 0), slots: pieces.filter((_, i) => i % 2 === 1), deps }
        if (entries.size >= max) entries.delete(entries.keys().next().value!)
      } else {
        entries.delete(key)
      }
      // Re-inserted last: the Map's order is the eviction order (least recently used first).
      entries.set(key, entry)
      const formKey = randomUUID()
      let html = entry.parts[0]!
      for (let i = 0; i < entry.slots.length; i++) html += (entry.slots[i] === NONCE_MARK ? nonce : formKey) + entry.parts[i + 1]!
      return { html, formKey }
    },
    size: () => entries.size
  }
}
