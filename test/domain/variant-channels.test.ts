import { describe, expect, it } from 'vitest'
import type { Channel } from '../../server/db/schema.ts'
import { readVariantChannels, variantAllows, variantChannels } from '../../server/domain/variant-channels.ts'

const ALL: Channel[] = ['x', 'bluesky', 'mastodon', 'threads', 'email', 'bottle']

describe('variantChannels', () => {
  it('follows the campaign when the variant names no channel', () => {
    expect(variantChannels({ channels: [] }, ALL)).toEqual(ALL)
    expect(variantChannels({ channels: [] }, ['x', 'email'])).toEqual(['x', 'email'])
  })
  it('keeps only the named channels the campaign has, in the campaign’s order', () => {
    expect(variantChannels({ channels: ['bottle', 'email'] }, ALL)).toEqual(['email', 'bottle'])
    expect(variantChannels({ channels: ['bottle', 'email'] }, ['x', 'email'])).toEqual(['email'])
    expect(variantChannels({ channels: ['threads'] }, ['x'])).toEqual([])
  })
})

describe('variantAllows', () => {
  it('allows every channel to a variant that names none, only its own otherwise', () => {
    expect(variantAllows({ channels: [] }, 'x')).toBe(true)
    expect(variantAllows({ channels: ['email', 'bottle'] }, 'email')).toBe(true)
    expect(variantAllows({ channels: ['email', 'bottle'] }, 'x')).toBe(false)
  })
})

describe('readVariantChannels', () => {
  it('stores every channel ticked as none, so the variant follows the campaign', () => {
    expect(readVariantChannels(['x', 'email'], ['x', 'email'])).toEqual({ channels: [], unknown: false })
    expect(readVariantChannels([], ALL)).toEqual({ channels: [], unknown: false })
  })
  it('keeps a subset in the campaign’s order and flags a channel the campaign does not have', () => {
    expect(readVariantChannels(['bottle', 'email'], ALL)).toEqual({ channels: ['email', 'bottle'], unknown: false })
    expect(readVariantChannels(['x', 'fax'], ['x', 'email'])).toEqual({ channels: ['x'], unknown: true })
  })
})
