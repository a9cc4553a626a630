import multipart, { type MultipartFile } from '@fastify/multipart'
import type { FastifyInstance } from 'fastify'
import { roleAtLeast } from '../../services/auth-service.ts'

/** A file field of a multipart form, as the onFile hook below leaves it in the body. */
export interface Upload { filename: string, mimetype: string, data: Buffer, truncated: boolean }

export function isUpload (v: unknown): v is Upload {
  return typeof v === 'object' && v !== null && Buffer.isBuffer((v as Upload).data)
}

/** Whether the form carried a file in this field (an empty file input sends a part with no name and no bytes). */
export const uploaded = (v: unknown): v is Upload => isUpload(v) && (v.data.length > 0 || Boolean(v.filename))

/**
 * File uploads in the calling plugin's scope (its routes only), one file per form, read into memory up to `fileSize`
 * (a route may lower it with multipartOptions). The admin guard runs after the body is read, so a preValidation hook
 * turns away, before anything is buffered, a file from someone who may not send it.
 */
export async function acceptUploads (app: FastifyInstance, { fileSize }: { fileSize: number }): Promise<void> {
  app.addHook('preValidation', async (request, reply) => {
    if (!String(request.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/')) return
    const access = request.routeOptions.config.access
    if (!access || access === 'public') return
    if (!request.user) return reply.sendError(401, 'admin.errors.signedOut', { back: { href: '/admin/login', labelKey: 'admin.login.title' } })
    if (!roleAtLeast(request.user.role, access)) return reply.sendError(403, 'admin.errors.forbidden', { back: { href: '/admin', labelKey: 'admin.nav.campaigns' } })
  })

  // 'keyValues' puts every field (the CSRF token too) in request.body before the admin guard's preHandler checks it.
  await app.register(multipart, {
    attachFieldsToBody: 'keyValues',
    throwFileSizeLimit: false,
    limits: { fileSize, files: 1, fields: 40, parts: 41, fieldSize: 16 * 1024 },
    async onFile (part: MultipartFile) {
      const data = await part.toBuffer()
      const upload: Upload = { filename: part.filename, mimetype: part.mimetype, data, truncated: part.file.truncated }
      ;(part as unknown as { value: Upload }).value = upload
    }
  })
}
