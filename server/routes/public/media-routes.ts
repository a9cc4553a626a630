import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Deps } from '../../deps.ts'
import { createPartnerRepo } from '../../repos/partner-repo.ts'
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

type Stored = { contentType: string, data: Buffer, etag: string }
type MediaRequest = FastifyRequest<{ Params: { file: string }, Querystring: { v?: string } }>

/** Target photos and partner logos, stored in PostgreSQL so every web instance serves them; the URL carries the version. */
export async function mediaRoutes (app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const targets = createTargetRepo(deps.db)
  const partners = createPartnerRepo(deps.db)

  const serve = (read: (id: string) => Promise<Stored | null>) => async (request: MediaRequest, reply: FastifyReply) => {
    const m = FILE_RE.exec(request.params.file)
    const image = m ? await read(m[1]!.toLowerCase()) : null
    if (!image) return reply.sendError(404, 'errors.notFound.message')
    const etag = `"${image.etag}"`
    // Immutable only under the URL of this very version; an old ?v= gets today's image, revalidated.
    const current = request.query.v === image.etag
    reply.header('etag', etag)
      .header('cache-control', current ? 'public, max-age=31536000, immutable' : 'public, max-age=0, must-revalidate')
      .header('content-type', image.contentType)
    if (matches(request.headers['if-none-match'], etag)) return reply.code(304).send()
    return reply.send(image.data)
  }

  app.get('/media/targets/:file', serve((id) => targets.photo(id)))
  app.get('/media/partners/:file', serve((id) => partners.logo(id)))
}
