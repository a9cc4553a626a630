// Solves an ALTCHA challenge (v1 protocol, https://altcha.org/docs/server-integration/, checked 2026-12-04): finds
// the number n, 0 ≤ n ≤ maxnumber, with SHA-256(salt + n) = challenge (hex). In a worker, so the page stays responsive.
/* global self */
'use strict'
const BATCH = 256

function hex (buffer) {
  const bytes = new Uint8Array(buffer)
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16)
  return out
}

self.onmessage = async function (e) {
  const c = e.data || {}
  const encoder = new TextEncoder()
  const started = Date.now()
  try {
    // Digests in batches: one await per batch, not per number.
    for (let n = 0; n <= c.maxnumber; n += BATCH) {
      const jobs = []
      for (let i = n; i < n + BATCH && i <= c.maxnumber; i++) jobs.push(crypto.subtle.digest('SHA-256', encoder.encode(c.salt + i)))
      const hashes = await Promise.all(jobs)
      for (let j = 0; j < hashes.length; j++) {
        if (hex(hashes[j]) === c.challenge) {
          self.postMessage({ number: n + j, took: Date.now() - started })
          return
        }
      }
    }
    self.postMessage({ number: null })
  } catch (err) {
    self.postMessage({ number: null })
  }
}
