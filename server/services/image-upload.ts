import { createHash } from 'node:crypto'
import sharp from 'sharp'

/** The largest image file the admin accepts (a target's photo, a partner's logo). */
export const IMAGE_MAX_BYTES = 5 * 1024 * 1024
// A 40-megapixel image is plenty; more is a decompression bomb or a poster scan.
const IMAGE_MAX_PIXELS = 40_000_000

/** Why an uploaded image was refused (each kind of image has its own message for each). */
export type ImageRefusal = 'missing' | 'tooLarge' | 'type' | 'pixels'

/** An image as stored: WebP, re-encoded (so without its metadata), with its size and a version tag for its URL. */
export interface StoredImage { contentType: 'image/webp', data: Buffer, etag: string, width: number, height: number }

/**
 * Reads an uploaded image: it must decode as JPEG, PNG or WebP (whatever its name or declared type says), within the
 * size and pixel limits; `shape` resizes it (after the EXIF orientation is applied), and it is re-encoded as WebP,
 * which drops its metadata (EXIF, GPS).
 */
export async function storeImage (bytes: Buffer, shape: (image: sharp.Sharp) => sharp.Sharp): Promise<{ ok: true, image: StoredImage } | { ok: false, refusal: ImageRefusal }> {
  if (bytes.length === 0) return { ok: false, refusal: 'missing' }
  if (bytes.length > IMAGE_MAX_BYTES) return { ok: false, refusal: 'tooLarge' }
  try {
    const input = { limitInputPixels: IMAGE_MAX_PIXELS, failOn: 'error' as const }
    // The header alone (no pixel limit yet), to say why a huge image is refused.
    const meta = await sharp(bytes, { ...input, limitInputPixels: false }).metadata()
    if (!['jpeg', 'png', 'webp'].includes(meta.format ?? '')) return { ok: false, refusal: 'type' }
    if ((meta.width ?? 0) * (meta.height ?? 0) > IMAGE_MAX_PIXELS) return { ok: false, refusal: 'pixels' }
    const { data, info } = await shape(sharp(bytes, input).rotate()).webp({ quality: 82, alphaQuality: 100 }).toBuffer({ resolveWithObject: true })
    const etag = createHash('sha256').update(data).digest('base64url').slice(0, 16)
    return { ok: true, image: { contentType: 'image/webp', data, etag, width: info.width, height: info.height } }
  } catch {
    return { ok: false, refusal: 'type' }
  }
}
