import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Deps } from '../../deps.ts'
import { createTargetRepo } from '../../repos/target-repo.ts'

const FILE_RE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.webp$/i

/** Whether an If-None-Match header names this ETag (weak or strong, or *). */
function matches (header: string | undefined, etag: string): boolean {
  if (!header) return false
  return header.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '')
    return tag === '*' || tag === etag
  })
}

/** Target photos, stored in PostgreSQL so every web instance serves them; the URL carries the version. */
export async function mediaRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const repo = createTargetRepo(deps.db)

  app.get('/media/targets/:file', async (request: FastifyRequest<{ Params: { file: string }, Querystring: { v?: string } }>, reply) => {
    const m = FILE_RE.exec(request.params.file)
    const photo = m ? await repo.photo(m[1]!.toLowerCase()) : null
    if (!photo) return reply.sendError(404, 'errors.notFound.message')
    const etag = `"${photo.etag}"`
    // Immutable only under the URL of this very version; an old ?v= gets today's photo, revalidated.
    const current = request.query.v === photo.etag
    reply.header('etag', etag)
      .header('cache-control', current ? 'public, max-age=31536000, immutable' : 'public, max-age=0, must-revalidate')
      .header('content-type', photo.contentType)
    if (matches(request.headers['if-none-match'], etag)) return reply.code(304).send()
    return reply.send(photo.data)
  })
}
