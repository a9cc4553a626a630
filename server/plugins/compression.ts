import fp from 'fastify-plugin'
import { brotliCompress, constants, gzip } from 'node:zlib'
import { preferredEncoding } from '../infra/assets.ts'

// Below this, a page fits in one packet either way: the compression is not worth its header.
const MIN_BYTES = 1024
// Brotli's quality 5 compresses pages about as fast as gzip's default level and a tenth smaller (quality 11,
// the static files' level, is far too slow per request).
const BROTLI = { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } }

/**
 * Every HTML page Fastify sends goes out brotli- or gzip-compressed when the client takes it, compressed off the
 * event loop (zlib's thread pool). The campaign page and the widget skip this: they are written to Node already
 * compressed (see page-cache.ts).
 */
export default fp(async (app) => {
  app.addHook('onSend', (request, reply, payload, done) => {
    const type = reply.getHeader('content-type')
    if (typeof type !== 'string' || !type.startsWith('text/html') || reply.hasHeader('content-encoding')) return done(null, payload)
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return done(null, payload)
    const vary = reply.getHeader('vary')
    if (!/accept-encoding/i.test(String(vary ?? ''))) reply.header('vary', vary ? `${String(vary)}, accept-encoding` : 'accept-encoding')
    const encoding = preferredEncoding(request.headers['accept-encoding'])
    if (!encoding || Buffer.byteLength(payload) < MIN_BYTES) return done(null, payload)
    const finish = (err: Error | null, out: Buffer): void => {
      if (err) return done(null, payload)
      reply.header('content-encoding', encoding).removeHeader('content-length')
      done(null, out)
    }
    if (encoding === 'br') brotliCompress(payload, BROTLI, finish)
    else gzip(payload, { level: 6 }, finish)
  })
}, { name: 'compression' })
