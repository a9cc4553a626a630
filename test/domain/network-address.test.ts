import { describe, expect, it } from 'vitest'
import { addressGroup, isAddressOrRange, originAllowed } from '../../server/domain/network-address.ts'

describe('addressGroup', () => {
  it('keeps an IPv4 address as it is', () => {
    expect(addressGroup('203.0.113.5')).toBe('203.0.113.5')
    expect(addressGroup('127.0.0.1')).toBe('127.0.0.1')
  })

  it('groups IPv6 addresses by their /64, however they are written', () => {
    expect(addressGroup('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64')
    expect(addressGroup('2001:db8:1:2::99')).toBe('2001:db8:1:2::/64')
    expect(addressGroup('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64')
    expect(addressGroup('2001:db8::1')).toBe('2001:db8:0:0::/64')
    expect(addressGroup('::1')).toBe('0:0:0:0::/64')
  })

  it('tells neighbouring /64 networks apart', () => {
    expect(addressGroup('2001:db8:1:2::1')).not.toBe(addressGroup('2001:db8:1:3::1'))
  })

  it('counts an IPv4-mapped IPv6 address as its IPv4 address', () => {
    expect(addressGroup('::ffff:203.0.113.5')).toBe('203.0.113.5')
    expect(addressGroup('::ffff:cb00:7105')).toBe('203.0.113.5')
  })

  it('drops a zone index', () => {
    expect(addressGroup('fe80::1%eth0')).toBe('fe80:0:0:0::/64')
  })

  it('leaves anything that is not an address untouched (a key all the same)', () => {
    expect(addressGroup('unknown')).toBe('unknown')
    expect(addressGroup('')).toBe('')
  })
})

describe('isAddressOrRange', () => {
  it.each(['10.0.0.1', '10.0.0.0/8', '192.168.1.0/24', '::1', 'fd00::/8', '2001:db8::/32', '0.0.0.0/0'])('accepts %s', (v) => {
    expect(isAddressOrRange(v)).toBe(true)
  })
  it.each(['true', '1', '10.0.0', '10.0.0.0/33', 'fd00::/129', 'example.org', '10.0.0.1/', '/8', ''])('refuses %s', (v) => {
    expect(isAddressOrRange(v)).toBe(false)
  })
})

describe('originAllowed', () => {
  const allowed = new Set(['https://bouteille.example', 'https://partner.example'])

  it('lets a same-origin request through, whatever its Origin says', () => {
    expect(originAllowed({ site: 'same-origin', origin: 'https://bouteille.example' }, allowed)).toBe(true)
    expect(originAllowed({ site: 'same-origin' }, allowed)).toBe(true)
    expect(originAllowed({ site: 'same-origin', origin: 'null' }, allowed)).toBe(true)
  })

  it('lets requests without either header through (no-JS forms in old browsers)', () => {
    expect(originAllowed({}, allowed)).toBe(true)
    expect(originAllowed({ origin: 'null' }, allowed)).toBe(true)
    expect(originAllowed({ site: 'none' }, allowed)).toBe(true)
  })

  it('refuses a cross-site or same-site request without an allowed Origin', () => {
    expect(originAllowed({ site: 'cross-site' }, allowed)).toBe(false)
    expect(originAllowed({ site: 'cross-site', origin: 'null' }, allowed)).toBe(false)
    expect(originAllowed({ site: 'cross-site', origin: 'https://evil.example' }, allowed)).toBe(false)
    expect(originAllowed({ site: 'same-site', origin: 'https://sub.bouteille.example' }, allowed)).toBe(false)
    expect(originAllowed({ site: 'Cross-Site' }, allowed)).toBe(false)
  })

  it('takes an explicit Origin only when it is ours or an allowed embedding site', () => {
    expect(originAllowed({ origin: 'https://bouteille.example' }, allowed)).toBe(true)
    expect(originAllowed({ origin: 'HTTPS://Bouteille.Example' }, allowed)).toBe(true)
    expect(originAllowed({ site: 'cross-site', origin: 'https://partner.example' }, allowed)).toBe(true)
    expect(originAllowed({ origin: 'https://evil.example' }, allowed)).toBe(false)
    expect(originAllowed({ origin: 'http://bouteille.example' }, allowed)).toBe(false)
    expect(originAllowed({ origin: 'https://bouteille.example:8443' }, allowed)).toBe(false)
  })
})
