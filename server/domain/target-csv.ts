import { Readable } from 'node:stream'
import { parse, type CsvError, type Parser } from 'csv-parse'
import { stringify } from 'csv-stringify'
import { neutraliseFormula, unneutraliseFormula } from './csv.ts'
import { HANDLE_NETWORKS, type HandleNetwork } from './handles.ts'
import { firstControlChar } from './input-rules.ts'
import { createDuplicateIndex, validateTarget, type FieldError, type KnownTarget, type TargetValues } from './target-rules.ts'

/** The columns of a target file, import and export alike. */
export const CSV_COLUMNS = ['name', 'role_fr', 'role_en', 'organisation', 'country', 'x', 'bluesky', 'mastodon', 'threads', 'email', 'groups', 'language'] as const
export type CsvColumn = (typeof CSV_COLUMNS)[number]
const REQUIRED: readonly CsvColumn[] = ['name']
const ROLE_LOCALES = ['fr', 'en'] as const

export const CSV_MAX_ROWS = 10_000
export const CSV_MAX_BYTES = 10 * 1024 * 1024

export const NETWORK_LABELS: Readonly<Record<HandleNetwork, string>> = { x: 'X', bluesky: 'Bluesky', mastodon: 'Mastodon', threads: 'Threads' }

/** A problem that stops the whole file from being read: the i18n key and its variables. */
export interface FileError { key: string, vars?: Record<string, string | number> }
/** A problem with one row; row is the number a spreadsheet shows (the header is row 1). */
export interface RowError extends FieldError { row: number }
export interface CsvRow { row: number, values: TargetValues }

export type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be'

export type CsvResult =
  | { ok: false, errors: FileError[] }
  | { ok: true, encoding: Encoding, bom: boolean, delimiter: string, columns: CsvColumn[], rows: CsvRow[], errors: RowError[] }

/**
 * Decodes a CSV file's bytes: UTF-8 with or without BOM, UTF-16 with a BOM (Excel's "Unicode text").
 * Anything else is refused with the line of the first byte that is not UTF-8: guessing between Windows-1252,
 * Mac Roman and ISO-8859-x cannot be done reliably, and a wrong guess would store mangled names.
 */
export function decodeCsv (bytes: Uint8Array): { ok: true, text: string, encoding: Encoding, bom: boolean } | { ok: false, error: FileError } {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return { ok: true, text: new TextDecoder('utf-16le').decode(bytes), encoding: 'utf-16le', bom: true }
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return { ok: true, text: new TextDecoder('utf-16be').decode(bytes), encoding: 'utf-16be', bom: true }
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf
  if (bytes.includes(0)) return { ok: false, error: { key: 'admin.targets.csv.errors.notText' } }
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8', bom }
  } catch {
    const text = new TextDecoder('utf-8').decode(bytes)
    const at = text.indexOf('\uFFFD')
    const line = text.slice(0, at).split('\n').length
    const start = text.lastIndexOf('\n', at) + 1
    const end = text.indexOf('\n', at)
    const sample = text.slice(start, end < 0 ? undefined : end).replace(/\r$/, '')
    return { ok: false, error: { key: 'admin.targets.csv.errors.notUtf8', vars: { line, sample: sample.length > 80 ? sample.slice(0, 80) + '…' : sample } } }
  }
}

/** The delimiter of a file from its header line: ; (Excel in French), tab, or , by default. */
export function detectDelimiter (text: string): string {
  const header = text.slice(0, text.search(/\r|\n|$/))
  let best = ','
  let bestCount = 0
  for (const d of [',', ';', '\t']) {
    let count = 0
    let quoted = false
    for (const ch of header) {
      if (ch === '"') quoted = !quoted
      else if (ch === d && !quoted) count++
    }
    if (count > bestCount) { best = d; bestCount = count }
  }
  return best
}

/** Bytes decoded and parsed per step; between steps the event loop serves other requests. */
const CHUNK_BYTES = 64 * 1024

type ReadResult =
  | { ok: false, errors: FileError[] }
  | { ok: true, encoding: Encoding, bom: boolean, delimiter: string, records: string[][], columns: CsvColumn[] }

/**
 * Reads a target file and checks every row; writes nothing. A file-level problem (encoding, columns, syntax, size,
 * more than CSV_MAX_ROWS rows, a control character in the header) stops everything; otherwise every row is checked
 * (a control character other than tab and line breaks, missing name, bad handle for its network, bad e-mail, bad country, a duplicate of another row or of an existing target, by name or by handle).
 * Parsed in steps that let the process serve others, and stopped at the first row past the limit.
 */
export async function parseTargetCsv (bytes: Uint8Array, { existing = [] }: { existing?: readonly KnownTarget[] } = {}): Promise<CsvResult> {
  if (bytes.length === 0) return { ok: false, errors: [{ key: 'admin.targets.csv.errors.empty' }] }
  if (bytes.length > CSV_MAX_BYTES) return { ok: false, errors: [{ key: 'admin.targets.csv.errors.tooLarge', vars: { max: CSV_MAX_BYTES / 1024 / 1024 } }] }
  const read = await readRecords(bytes)
  if (!read.ok) return read
  const { records, columns } = read

  const rows: CsvRow[] = []
  const errors: RowError[] = []
  const index = createDuplicateIndex(existing)
  const rowOf = new Map<KnownTarget, number>()
  for (let i = 1; i < records.length; i++) {
    if (i % 1000 === 0) await nextTurn()
    const record = records[i]!
    const row = i + 1
    // Refused, not cleaned: a name with an invisible character would not be the name the campaigner typed. Checked
    // before blank rows are skipped (a form feed alone trims to nothing). A cell past the header's is named by number.
    record.forEach((cell, at) => {
      const code = firstControlChar(cell)
      if (code) errors.push({ row, field: columns[at] ?? '', key: 'admin.targets.csv.errors.controlChars', vars: { column: columns[at] ?? String(at + 1), code } })
    })
    if (!record.some((c) => c.trim() !== '')) continue
    const cell = (col: CsvColumn): string => {
      const at = columns.indexOf(col)
      return at < 0 ? '' : unneutraliseFormula(record[at] ?? '')
    }
    const { values, errors: fieldErrors } = validateTarget({
      name: cell('name'),
      role: Object.fromEntries(ROLE_LOCALES.map((l) => [l, cell(`role_${l}`)])),
      organisation: cell('organisation'),
      country: cell('country'),
      handles: Object.fromEntries(HANDLE_NETWORKS.map((n) => [n, cell(n)])),
      email: cell('email'),
      groups: cell('groups'),
      language: cell('language')
    }, ROLE_LOCALES)
    for (const e of fieldErrors) errors.push({ ...e, row })
    if (record.slice(columns.length).some((c) => c.trim() !== '')) {
      errors.push({ row, field: '', key: 'admin.targets.csv.errors.extraCells', vars: { count: columns.length } })
    }
    if (values.name) {
      const known: KnownTarget = { name: values.name, handles: values.handles }
      const dup = index.find(known)
      if (dup) errors.push({ row, ...duplicateError(dup, rowOf.get(dup.other)) })
      index.add(known)
      rowOf.set(known, row)
    }
    rows.push({ row, values })
  }
  return { ok: true, encoding: read.encoding, bom: read.bom, delimiter: read.delimiter, columns, rows, errors }
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * Decodes and parses the file a chunk at a time (csv-parse's stream parser), checking the header as soon as it is
 * read and stopping at the first data row past CSV_MAX_ROWS: a 10 MB file never holds the process.
 */
async function readRecords (bytes: Uint8Array): Promise<ReadResult> {
  const utf16 = bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))
  const encoding: Encoding = utf16 ? (bytes[0] === 0xff ? 'utf-16le' : 'utf-16be') : 'utf-8'
  const bom = utf16 || (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
  if (!utf16 && bytes.includes(0)) return { ok: false, errors: [{ key: 'admin.targets.csv.errors.notText' }] }
  // UTF-16 is read as decodeCsv reads it (lenient); UTF-8 strictly, its error explained by decodeCsv.
  const decoder = new TextDecoder(encoding, { fatal: !utf16 })

  const records: string[][] = []
  let columns: CsvColumn[] = []
  let dataCount = 0
  // Set from the parser's callbacks: a file-level problem that ends the reading, or the parser's own error.
  const halt: { stop: FileError[] | null, failure: (CsvError & { lines?: number }) | null } = { stop: null, failure: null }
  let lastLine = 0
  let parser: Parser | null = null
  let delimiter = ','
  let head = ''
  let content = false

  const take = (record: string[]): void => {
    if (halt.stop) return
    if (records.length === 0) {
      const header = record.map((h) => h.replace(/^\uFEFF/, '').trim().toLowerCase())
      while (header.length && header[header.length - 1] === '') header.pop()
      const control = record.findIndex((h) => firstControlChar(h) !== null)
      if (control >= 0) { halt.stop = [{ key: 'admin.targets.csv.errors.controlCharsHeader', vars: { n: control + 1, code: firstControlChar(record[control]!)! } }]; return }
      const fileErrors = checkHeader(header)
      if (fileErrors.length) { halt.stop = fileErrors; return }
      columns = header as CsvColumn[]
    } else if (record.some((c) => c.trim() !== '') && ++dataCount > CSV_MAX_ROWS) {
      halt.stop = [{ key: 'admin.targets.csv.errors.tooManyRows', vars: { max: CSV_MAX_ROWS } }]
      return
    }
    records.push(record)
  }
  const start = (text: string): Parser => {
    delimiter = detectDelimiter(text)
    const p = parse({
      delimiter,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: false,
      max_record_size: 100_000,
      on_record: (record: string[], context: { lines: number }) => { lastLine = context.lines; return record }
    })
    p.on('readable', () => { for (let r: string[] | null; (r = p.read() as string[] | null) !== null;) take(r) })
    p.on('error', (err: CsvError) => { halt.failure = err })
    return p
  }

  for (let at = 0; at < bytes.length && !halt.stop && !halt.failure; at += CHUNK_BYTES) {
    const last = at + CHUNK_BYTES >= bytes.length
    let text: string
    try {
      text = decoder.decode(bytes.subarray(at, at + CHUNK_BYTES), { stream: !last })
    } catch {
      const decoded = decodeCsv(bytes)
      return { ok: false, errors: [decoded.ok ? { key: 'admin.targets.csv.errors.notUtf8', vars: { line: 1, sample: '' } } : decoded.error] }
    }
    if (at === 0) text = text.replace(/^\uFEFF/, '')
    content ||= /\S/.test(text)
    if (!parser) {
      // The delimiter comes from the header line: wait for its end (or the file's).
      head += text
      if (!/[\r\n]/.test(head) && !last) continue
      if (!content) continue
      parser = start(head)
      text = head
    }
    parser.write(text)
    await nextTurn()
  }
  if (!content) return { ok: false, errors: [{ key: 'admin.targets.csv.errors.empty' }] }
  if (parser && !halt.stop && !halt.failure) {
    const done = new Promise<void>((resolve) => { parser!.once('end', resolve).once('error', () => resolve()) })
    parser.end()
    await done
  }
  parser?.destroy()
  if (halt.stop) return { ok: false, errors: halt.stop }
  const e = halt.failure
  if (e) {
    if (e.code === 'CSV_QUOTE_NOT_CLOSED' || e.code === 'CSV_MAX_RECORD_SIZE') return { ok: false, errors: [{ key: 'admin.targets.csv.errors.quoteNotClosed', vars: { line: lastLine + 1 } }] }
    return { ok: false, errors: [{ key: 'admin.targets.csv.errors.syntax', vars: { line: typeof e.lines === 'number' ? e.lines : lastLine + 1 } }] }
  }
  if (records.length === 0) return { ok: false, errors: checkHeader([]) }
  if (dataCount === 0) return { ok: false, errors: [{ key: 'admin.targets.csv.errors.noRows' }] }
  return { ok: true, encoding, bom, delimiter, records, columns }
}

function checkHeader (header: string[]): FileError[] {
  const known = new Set<string>(CSV_COLUMNS)
  const unnamed = header.findIndex((h) => h === '')
  if (header.length === 0 || header.every((h) => !known.has(h))) {
    // Not even one column we know: most likely a file without a header line, or not a target list at all.
    const found = header.filter(Boolean).slice(0, 6).join(', ') + (header.length > 6 ? ', …' : '')
    return [{ key: 'admin.targets.csv.errors.noHeader', vars: { found, expected: CSV_COLUMNS.join(', ') } }]
  }
  const errors: FileError[] = []
  if (unnamed >= 0) errors.push({ key: 'admin.targets.csv.errors.unnamedColumn', vars: { n: unnamed + 1 } })
  const unknown = [...new Set(header.filter((h) => h !== '' && !known.has(h)))]
  if (unknown.length) errors.push({ key: 'admin.targets.csv.errors.unknownColumns', vars: { columns: unknown.join(', '), count: unknown.length, expected: CSV_COLUMNS.join(', ') } })
  const missing = REQUIRED.filter((c) => !header.includes(c))
  if (missing.length) errors.push({ key: 'admin.targets.csv.errors.missingColumns', vars: { columns: missing.join(', '), count: missing.length } })
  const repeated = [...new Set(header.filter((h, i) => h !== '' && header.indexOf(h) !== i))]
  if (repeated.length) errors.push({ key: 'admin.targets.csv.errors.repeatedColumns', vars: { columns: repeated.join(', '), count: repeated.length } })
  return errors
}

function duplicateError (dup: { by: 'name' | HandleNetwork, other: KnownTarget }, otherRow: number | undefined): FieldError {
  const field = dup.by
  if (otherRow !== undefined) {
    return dup.by === 'name'
      ? { field, key: 'admin.targets.csv.errors.duplicateRowName', vars: { other: otherRow } }
      : { field, key: 'admin.targets.csv.errors.duplicateRowHandle', vars: { other: otherRow, network: NETWORK_LABELS[dup.by] } }
  }
  return dup.by === 'name'
    ? { field, key: 'admin.targets.csv.errors.duplicateExistingName', vars: { name: dup.other.name } }
    : { field, key: 'admin.targets.csv.errors.duplicateExistingHandle', vars: { name: dup.other.name, network: NETWORK_LABELS[dup.by] } }
}

/** The CSV cells of a target, in CSV_COLUMNS order. */
export function targetCsvRow (t: Pick<TargetValues, 'name' | 'role' | 'organisation' | 'country' | 'handles' | 'email' | 'groups' | 'language'>): string[] {
  const cells: Record<CsvColumn, string> = {
    name: t.name,
    role_fr: t.role.fr ?? '',
    role_en: t.role.en ?? '',
    organisation: t.organisation,
    country: t.country,
    x: t.handles.x ?? '',
    bluesky: t.handles.bluesky ?? '',
    mastodon: t.handles.mastodon ?? '',
    threads: t.handles.threads ?? '',
    email: t.email ?? '',
    groups: t.groups.join(', '),
    language: t.language ?? ''
  }
  return CSV_COLUMNS.map((c) => neutraliseFormula(cells[c]))
}

/** Streams targets as CSV: UTF-8 with a BOM (so Excel reads accents), a header line, CRLF line ends. */
export function targetsCsvStream (targets: Iterable<Parameters<typeof targetCsvRow>[0]>): Readable {
  function * records () {
    yield [...CSV_COLUMNS]
    for (const t of targets) yield targetCsvRow(t)
  }
  return Readable.from(records()).pipe(stringify({ bom: true, record_delimiter: 'windows' }))
}
