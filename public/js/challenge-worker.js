// Solves an ALTCHA challenge (v1 protocol, https://altcha.org/docs/server-integration/, checked 2026-12-04): finds
// the number n, 0 ≤ n ≤ maxnumber, with SHA-256(salt + n) = challenge (hex). In a worker, so the page stays responsive.
// SHA-256 (FIPS 180-4) is computed here for the one-block messages a challenge makes (≤ 55 bytes): crypto.subtle's
// per-call cost is many times the hash of 50 bytes; a longer salt goes through crypto.subtle.
/* global self */
'use strict'

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
])
const W = new Uint32Array(64)
const block = new Uint8Array(64)

/** SHA-256 of block[0..length) (length ≤ 55), compared with the expected digest words. */
function oneBlockMatches (length, want) {
  block[length] = 0x80
  block.fill(0, length + 1, 62)
  block[62] = (length * 8) >>> 8
  block[63] = (length * 8) & 0xff
  for (let i = 0; i < 16; i++) W[i] = (block[i * 4] << 24) | (block[i * 4 + 1] << 16) | (block[i * 4 + 2] << 8) | block[i * 4 + 3]
  for (let i = 16; i < 64; i++) {
    const a = W[i - 15]
    const b = W[i - 2]
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3)
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10)
    W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0
  }
  let a = 0x6a09e667; let b = 0xbb67ae85; let c = 0x3c6ef372; let d = 0xa54ff53a
  let e = 0x510e527f; let f = 0x9b05688c; let g = 0x1f83d9ab; let h = 0x5be0cd19
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0
    h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0
  }
  return ((a + 0x6a09e667) | 0) === want[0] && ((b + 0xbb67ae85) | 0) === want[1] && ((c + 0x3c6ef372) | 0) === want[2] &&
    ((d + 0xa54ff53a) | 0) === want[3] && ((e + 0x510e527f) | 0) === want[4] && ((f + 0x9b05688c) | 0) === want[5] &&
    ((g + 0x1f83d9ab) | 0) === want[6] && ((h + 0x5be0cd19) | 0) === want[7]
}

function hex (buffer) {
  const bytes = new Uint8Array(buffer)
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16)
  return out
}

async function solveSubtle (c) {
  const encoder = new TextEncoder()
  for (let n = 0; n <= c.maxnumber; n += 256) {
    const jobs = []
    for (let i = n; i < n + 256 && i <= c.maxnumber; i++) jobs.push(crypto.subtle.digest('SHA-256', encoder.encode(c.salt + i)))
    const hashes = await Promise.all(jobs)
    for (let j = 0; j < hashes.length; j++) if (hex(hashes[j]) === c.challenge) return n + j
  }
  return null
}

function solveHere (c) {
  const salt = new TextEncoder().encode(c.salt)
  block.set(salt)
  const want = new Int32Array(8)
  for (let i = 0; i < 8; i++) want[i] = parseInt(c.challenge.slice(i * 8, i * 8 + 8), 16) | 0
  for (let n = 0; n <= c.maxnumber; n++) {
    // The number's decimal digits after the salt.
    const digits = String(n)
    for (let i = 0; i < digits.length; i++) block[salt.length + i] = digits.charCodeAt(i)
    if (oneBlockMatches(salt.length + digits.length, want)) return n
  }
  return null
}

self.onmessage = async function (e) {
  const c = e.data || {}
  const started = Date.now()
  try {
    const fits = new TextEncoder().encode(c.salt).length + String(c.maxnumber).length <= 55 && /^[0-9a-f]{64}$/.test(c.challenge)
    const number = fits ? solveHere(c) : await solveSubtle(c)
    self.postMessage({ number, took: Date.now() - started })
  } catch (err) {
    self.postMessage({ number: null })
  }
}
