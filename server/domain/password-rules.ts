import { dictionary } from '@zxcvbn-ts/language-common'

export const PASSWORD_MIN = 10
export const PASSWORD_MAX = 1024

export type PasswordProblem = 'length' | 'common' | 'personal'

let common: Set<string> | null = null
// The most common passwords from leaks, as shipped by zxcvbn-ts (≈ 30,000 entries, lower case); read on first use.
function commonPasswords (): Set<string> {
  common ??= new Set(dictionary['passwords-common'])
  return common
}

// Lower case, accents off, letters only: "Tweet-Bouteille 2026!" → "tweetbouteille".
const letters = (s: string): string => s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^\p{L}]/gu, '')

/**
 * Why a new password is refused, or null: too short or long, among the most common ones, or made of the member's
 * e-mail or the campaigns' names (`names`: slugs and titles) with a few digits or symbols around.
 */
export function passwordProblem (password: string, { email = '', names = [] }: { email?: string, names?: readonly string[] } = {}): PasswordProblem | null {
  if ([...password].length < PASSWORD_MIN || password.length > PASSWORD_MAX) return 'length'
  const lower = password.toLowerCase()
  if (commonPasswords().has(lower) || commonPasswords().has(lower.replace(/[^a-z0-9]/g, ''))) return 'common'
  const [local = '', domain = ''] = email.toLowerCase().split('@')
  const words = [local, domain.split('.')[0] ?? '', ...local.split(/[._+-]/), ...names].map(letters).filter((w) => w.length >= 3)
  let rest = letters(password)
  const before = rest.length
  // Longest first, so "alicemartin" is taken whole before "alice".
  for (const w of words.sort((a, b) => b.length - a.length)) rest = rest.split(w).join('')
  if (rest.length < before && rest.length < 4) return 'personal'
  return null
}
