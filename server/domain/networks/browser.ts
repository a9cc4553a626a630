import { bottleText } from '../bottle-text.ts'
import { hasHashtag, LIMITS, measureLength } from './index.ts'

// The campaign page's entry: the same rules as the server, as window.BouteilleNetworks (see server/infra/networks-bundle.ts).
Object.assign(globalThis, { BouteilleNetworks: Object.freeze({ LIMITS, measureLength, hasHashtag, bottleText }) })
