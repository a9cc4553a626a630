import type { Channel } from '../db/schema.ts'

/** Longest e-mail subject a variant may set; mail clients cut a longer one in the inbox list anyway. */
export const SUBJECT_MAX = 150

/** The channels a variant is sent on: those it names that the campaign has, or every channel of the campaign when it names none. */
export function variantChannels (variant: { channels: readonly Channel[] }, campaign: readonly Channel[]): Channel[] {
  if (variant.channels.length === 0) return [...campaign]
  return campaign.filter((ch) => variant.channels.includes(ch))
}

/** Whether a variant may be sent on a channel. */
export function variantAllows (variant: { channels: readonly Channel[] }, channel: Channel): boolean {
  return variant.channels.length === 0 || variant.channels.includes(channel)
}

/**
 * Reads the channels ticked on the variant form: only the campaign's, in the campaign's order; every channel ticked
 * is stored as none (the variant then follows the campaign's channels when they change).
 */
export function readVariantChannels (ticked: readonly string[], campaign: readonly Channel[]): { channels: Channel[], unknown: boolean } {
  const unknown = ticked.some((x) => !(campaign as readonly string[]).includes(x))
  const channels = campaign.filter((ch) => ticked.includes(ch))
  return { channels: channels.length === campaign.length ? [] : channels, unknown }
}
