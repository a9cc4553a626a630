import type { MessageTarget } from './messages.ts'

/**
 * The text as it goes into the bottle, from the text sent on a network (or to the bottle): the target named by
 * name rather than by handle (".@alice" → "Alice Martin"), and without the campaign's own link, which means
 * nothing on the wall or in a printed dossier.
 */
export function bottleText (sent: string, target: MessageTarget, campaignLink: string): string {
  let out = campaignLink ? sent.split(campaignLink).join(' ') : sent
  const handles = Object.values(target.handles).filter((h): h is string => typeof h === 'string' && h.length > 0)
    .map((h) => '@' + h.replace(/^@/, ''))
    .sort((a, b) => b.length - a.length)
  for (const h of handles) {
    const re = new RegExp(`(^|[^\\p{L}\\p{N}_@.])\\.?${escapeRegExp(h)}(?![\\p{L}\\p{N}_@.-])`, 'gu')
    out = out.replace(re, (_all, before: string) => `${before}${target.name}`)
  }
  return out.split('\n').map((line) => line.replace(/[ \t]+/g, ' ').trim()).join('\n').replace(/\n{3,}/g, '\n\n').trim()
}

function escapeRegExp (s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
