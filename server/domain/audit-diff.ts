// Turns an audit row's before/after JSON into a list of field changes a person can read.

export type AuditValue = string | number | boolean
export interface FieldChange {
  /** dotted path: `role`, `texts.fr.title`, `hashtags` */
  field: string
  kind: 'added' | 'removed' | 'changed'
  before: AuditValue | null
  after: AuditValue | null
}

const MAX_DEPTH = 4

function isPlainObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function flatten (value: unknown, prefix: string, out: Map<string, AuditValue>, depth: number): void {
  if (value === null || value === undefined) return
  if (Array.isArray(value)) {
    // A list of plain values reads best on one line; a list of records as one line per record field.
    if (value.every((v) => v === null || typeof v !== 'object')) {
      out.set(prefix, value.map((v) => String(v ?? '')).join(', '))
      return
    }
    if (depth >= MAX_DEPTH) { out.set(prefix, JSON.stringify(value)); return }
    value.forEach((v, i) => flatten(v, prefix ? `${prefix}.${i + 1}` : String(i + 1), out, depth + 1))
    return
  }
  if (isPlainObject(value)) {
    if (depth >= MAX_DEPTH) { out.set(prefix, JSON.stringify(value)); return }
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out, depth + 1)
    return
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out.set(prefix, value)
  else out.set(prefix, String(value))
}

/** The fields that differ between before and after (all fields of a creation or a deletion), in a stable order. */
export function auditChanges (before: unknown, after: unknown): FieldChange[] {
  const b = new Map<string, AuditValue>()
  const a = new Map<string, AuditValue>()
  flatten(before, '', b, 0)
  flatten(after, '', a, 0)
  const changes: FieldChange[] = []
  for (const field of new Set([...b.keys(), ...a.keys()])) {
    const was = b.has(field) ? b.get(field)! : null
    const now = a.has(field) ? a.get(field)! : null
    if (was === now) continue
    if (was === null || was === '') {
      if (now === '') continue
      changes.push({ field, kind: before === null || before === undefined ? 'added' : 'changed', before: was, after: now })
    } else if (now === null) {
      changes.push({ field, kind: after === null || after === undefined ? 'removed' : 'changed', before: was, after: null })
    } else {
      changes.push({ field, kind: 'changed', before: was, after: now })
    }
  }
  return changes
}

/** A long value cut to max characters (with an ellipsis), so one row never floods the page. */
export function shorten (text: string, max = 400): string {
  const chars = [...text]
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`
}
