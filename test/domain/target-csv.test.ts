import { buffer } from 'node:stream/consumers'
import { describe, expect, it } from 'vitest'
import type { TargetValues } from '../../server/domain/target-rules.ts'
import { neutraliseFormula } from '../../server/domain/csv.ts'
import { CSV_COLUMNS, CSV_MAX_ROWS, decodeCsv, detectDelimiter, parseTargetCsv, targetsCsvStream } from '../../server/domain/target-csv.ts'

const HEADER = CSV_COLUMNS.join(',')
const utf8 = (s: string) => Buffer.from(s, 'utf8')
const ok = (r: Awaited<ReturnType<typeof parseTargetCsv>>) => {
  if (!r.ok) throw new Error(`file refused: ${JSON.stringify(r.errors)}`)
  return r
}

/** n valid rows, all different. */
function validRows (n: number, start = 0): string {
  const lines = [HEADER]
  for (let i = start; i < start + n; i++) {
    lines.push(`Target ${i},Ministre ${i},Minister ${i},Gouvernement,FR,t${i},t${i}.bsky.social,t${i}@climat.social,t.${i},t${i}@example.org,"eu, g7"`)
  }
  return lines.join('\n') + '\n'
}

describe('parseTargetCsv: the file', () => {
  it('reads a good file, in any column order, and normalises its rows', async () => {
    const r = ok(await parseTargetCsv(utf8('email,name,x,country,groups\ncab@example.org,Océane Marivaux,@OceaneMarivaux,fr,"eu,g7"\n')))
    expect(r).toMatchObject({ encoding: 'utf-8', bom: false, delimiter: ',', errors: [] })
    expect(r.rows).toEqual([{ row: 2, values: { name: 'Océane Marivaux', role: {}, organisation: '', country: 'FR', handles: { x: 'OceaneMarivaux' }, email: 'cab@example.org', groups: ['eu', 'g7'], language: null } }])
  })

  it('refuses unknown columns and a missing name column, naming them and the expected ones', async () => {
    const r = await parseTargetCsv(utf8('name,e-mail,twitter\nA,a@example.org,a\n'))
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.errors).toEqual([{ key: 'admin.targets.csv.errors.unknownColumns', vars: { columns: 'e-mail, twitter', count: 2, expected: CSV_COLUMNS.join(', ') } }])
    const m = await parseTargetCsv(utf8('x,email\nabc,a@example.org\n'))
    expect(!m.ok && m.errors).toEqual([{ key: 'admin.targets.csv.errors.missingColumns', vars: { columns: 'name', count: 1 } }])
  })

  it('refuses a file without a header line', async () => {
    const r = await parseTargetCsv(utf8('Océane Marivaux,Ministre,Minister,Gouvernement,FR,OceaneMarivaux,,,,,\n'))
    expect(!r.ok && r.errors[0]!.key).toBe('admin.targets.csv.errors.noHeader')
  })

  it('refuses repeated columns, and a column without a heading between others', async () => {
    const r = await parseTargetCsv(utf8('name,x,name\nA,a,A\n'))
    expect(!r.ok && r.errors).toEqual([{ key: 'admin.targets.csv.errors.repeatedColumns', vars: { columns: 'name', count: 1 } }])
    const u = await parseTargetCsv(utf8('name,,x\nA,,a\n'))
    expect(!u.ok && u.errors).toEqual([{ key: 'admin.targets.csv.errors.unnamedColumn', vars: { n: 2 } }])
    // Empty headings at the end (a spreadsheet's untouched columns) are fine.
    expect(ok(await parseTargetCsv(utf8('name,x,,\nA,a,,\n'))).rows).toHaveLength(1)
  })

  it('refuses an empty file and a file with only its header', async () => {
    expect(await parseTargetCsv(new Uint8Array())).toEqual({ ok: false, errors: [{ key: 'admin.targets.csv.errors.empty' }] })
    expect(await parseTargetCsv(utf8('\r\n \n'))).toEqual({ ok: false, errors: [{ key: 'admin.targets.csv.errors.empty' }] })
    expect(await parseTargetCsv(utf8(`${HEADER}\n\n`))).toEqual({ ok: false, errors: [{ key: 'admin.targets.csv.errors.noRows' }] })
  })

  it('refuses Latin-1 (or Windows-1252) bytes, saying on which line, and asks for UTF-8', async () => {
    const latin1 = Buffer.from('name,organisation\nRaphaël Dupré,Gouvernement français\n', 'latin1')
    const r = await parseTargetCsv(latin1)
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.errors).toEqual([{ key: 'admin.targets.csv.errors.notUtf8', vars: { line: 2, sample: 'Rapha\uFFFDl Dupr\uFFFD,Gouvernement fran\uFFFDais' } }])
  })

  it('refuses binary files', async () => {
    const r = await parseTargetCsv(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]))
    expect(!r.ok && r.errors[0]!.key).toBe('admin.targets.csv.errors.notText')
  })

  it('reads UTF-8 with a BOM (Excel’s “CSV UTF-8”) without taking the BOM into the first column', async () => {
    const r = ok(await parseTargetCsv(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8('name,organisation\nÉmile Deschamps-Flot,Gouvernement du Canada\n')])))
    expect(r.bom).toBe(true)
    expect(r.columns).toEqual(['name', 'organisation'])
    expect(r.rows[0]!.values.name).toBe('Émile Deschamps-Flot')
  })

  it('reads UTF-16 with a BOM (Excel’s “Unicode text”, tab-separated)', async () => {
    const text = '\uFEFFname\tcountry\r\nNadia Benmarée\tMA\r\n'
    const r = ok(await parseTargetCsv(Buffer.from(text, 'utf16le')))
    expect(r).toMatchObject({ encoding: 'utf-16le', delimiter: '\t' })
    expect(r.rows[0]!.values).toMatchObject({ name: 'Nadia Benmarée', country: 'MA' })
  })

  it('reads ; as the delimiter (Excel in French), with CRLF line ends', async () => {
    const r = ok(await parseTargetCsv(utf8('name;role_fr;groups;email\r\nLucía Marea Olas;Présidente de la COP, 2025;presidency, g77;presidencia@example.net\r\n')))
    expect(r.delimiter).toBe(';')
    expect(r.rows[0]!.values).toMatchObject({ name: 'Lucía Marea Olas', role: { fr: 'Présidente de la COP, 2025' }, groups: ['presidency', 'g77'] })
  })

  it('reads quoted fields with newlines, quotes and delimiters, and numbers rows as a spreadsheet does', async () => {
    const r = ok(await parseTargetCsv(utf8('name,role_en,organisation\n"Kenji\nUmibe","Chief ""lead"" negotiator, Japan",Delegation\nRafael Costamar,"Chief\r\nNegotiator",Brazil\n')))
    expect(r.rows.map((x) => [x.row, x.values.name, x.values.role.en])).toEqual([
      [2, 'Kenji Umibe', 'Chief "lead" negotiator, Japan'],
      [3, 'Rafael Costamar', 'Chief Negotiator']
    ])
  })

  it('says where a quote is opened and never closed', async () => {
    const r = await parseTargetCsv(utf8('name,organisation\nA,Org\nB,"Org\nC,Org\n'))
    expect(!r.ok && r.errors).toEqual([{ key: 'admin.targets.csv.errors.quoteNotClosed', vars: { line: 3 } }])
  })

  it('skips empty lines but keeps the row numbers of the lines after them', async () => {
    const r = ok(await parseTargetCsv(utf8('name,x\nA,a\n,\n\nB,b\n')))
    expect(r.rows.map((x) => x.row)).toEqual([2, 5])
  })

  it('brings back a cell the export neutralised', async () => {
    const r = ok(await parseTargetCsv(utf8("name,organisation\n'=Mallory,'+33 Org\n")))
    expect(r.rows[0]!.values).toMatchObject({ name: '=Mallory', organisation: '+33 Org' })
  })
})

describe('parseTargetCsv: the rows', () => {
  it('reports every bad row with its number and field: missing name, bad handle for its network, bad e-mail, bad country', async () => {
    const csv = [
      HEADER,
      ',Ministre,,,FR,,,,,,',
      'Bad X,,,,,jean-luc,,,,,',
      'Bad Bluesky,,,,,,notadomain,,,,',
      'Bad Mastodon,,,,,,,user,,,',
      'Bad Threads,,,,,,,,a b c,,',
      'Bad Email,,,,,,,,,not-an-email,',
      'Bad Country,,,,ZZ,,,,,,',
      'Good One,,,,FR,good,,,,good@example.org,'
    ].join('\n')
    const r = ok(await parseTargetCsv(utf8(csv)))
    expect(r.rows).toHaveLength(8)
    expect(r.errors.map((e) => [e.row, e.field, e.key])).toEqual([
      [2, 'name', 'admin.targets.errors.nameMissing'],
      [3, 'x', 'admin.targets.errors.handle.x'],
      [4, 'bluesky', 'admin.targets.errors.handle.bluesky'],
      [5, 'mastodon', 'admin.targets.errors.handle.mastodon'],
      [6, 'threads', 'admin.targets.errors.handle.threads'],
      [7, 'email', 'admin.targets.errors.email'],
      [8, 'country', 'admin.targets.errors.country']
    ])
  })

  it('finds duplicates of another row, by name or by handle, and of existing targets', async () => {
    const csv = [
      'name,x,bluesky',
      'Alice Martin,alice_m,',
      'ALICE  martin,,',
      'Someone Else,Alice_M,',
      'Third,,bdube.bsky.social',
      'Bongani Dube,,'
    ].join('\n')
    const existing = [{ id: 'e1', name: 'Bongani Dube', handles: { bluesky: 'bdube.bsky.social' } }]
    const r = ok(await parseTargetCsv(utf8(csv), { existing }))
    expect(r.errors).toEqual([
      { row: 3, field: 'name', key: 'admin.targets.csv.errors.duplicateRowName', vars: { other: 2 } },
      { row: 4, field: 'x', key: 'admin.targets.csv.errors.duplicateRowHandle', vars: { other: 2, network: 'X' } },
      { row: 5, field: 'bluesky', key: 'admin.targets.csv.errors.duplicateExistingHandle', vars: { name: 'Bongani Dube', network: 'Bluesky' } },
      { row: 6, field: 'name', key: 'admin.targets.csv.errors.duplicateExistingName', vars: { name: 'Bongani Dube' } }
    ])
  })

  it('flags values beyond the header’s columns', async () => {
    const r = ok(await parseTargetCsv(utf8('name,x\nA,a,extra\nB,b,\n')))
    expect(r.errors).toEqual([{ row: 2, field: '', key: 'admin.targets.csv.errors.extraCells', vars: { count: 2 } }])
  })

  it('refuses control characters other than tab and line breaks, naming the row and the column; a tab or a quoted line break is text', async () => {
    const r = ok(await parseTargetCsv(utf8('name,organisation,x\nAlice\u0007,Gouv,alice\nBob,"Min\u001bistère\u0085",bob\nCarla,"A\tB\r\nC",carla\n\u000c,,\nDan,,dan,\u007f\n')))
    expect(r.errors).toEqual([
      { row: 2, field: 'name', key: 'admin.targets.csv.errors.controlChars', vars: { column: 'name', code: 'U+0007' } },
      { row: 3, field: 'organisation', key: 'admin.targets.csv.errors.controlChars', vars: { column: 'organisation', code: 'U+001B' } },
      { row: 5, field: 'name', key: 'admin.targets.csv.errors.controlChars', vars: { column: 'name', code: 'U+000C' } },
      { row: 6, field: '', key: 'admin.targets.csv.errors.controlChars', vars: { column: '4', code: 'U+007F' } },
      { row: 6, field: '', key: 'admin.targets.csv.errors.extraCells', vars: { count: 3 } }
    ])
    expect(r.rows.find((x) => x.row === 4)!.values.organisation).toBe('A B C')
  })

  it('refuses a control character in the header line, naming the column', async () => {
    expect(await parseTargetCsv(utf8('name,x\u0000y\nAlice,alice\n'))).toMatchObject({ ok: false, errors: [{ key: 'admin.targets.csv.errors.notText' }] })
    expect(await parseTargetCsv(utf8('name,\u0002x\nAlice,alice\n'))).toEqual({ ok: false, errors: [{ key: 'admin.targets.csv.errors.controlCharsHeader', vars: { n: 2, code: 'U+0002' } }] })
  })

  it(`parses ${CSV_MAX_ROWS} valid rows in a few seconds`, async () => {
    const bytes = utf8(validRows(CSV_MAX_ROWS))
    const started = performance.now()
    const r = ok(await parseTargetCsv(bytes, { existing: [{ name: 'Someone', handles: { x: 'someone' } }] }))
    expect(performance.now() - started).toBeLessThan(5_000)
    expect(r.errors).toEqual([])
    expect(r.rows).toHaveLength(CSV_MAX_ROWS)
    expect(r.rows.at(-1)).toMatchObject({ row: CSV_MAX_ROWS + 1, values: { name: `Target ${CSV_MAX_ROWS - 1}`, handles: { mastodon: `t${CSV_MAX_ROWS - 1}@climat.social` } } })
  })

  it(`refuses ${CSV_MAX_ROWS + 1} rows as a whole`, async () => {
    const r = await parseTargetCsv(utf8(validRows(CSV_MAX_ROWS + 1)))
    expect(r).toEqual({ ok: false, errors: [{ key: 'admin.targets.csv.errors.tooManyRows', vars: { max: CSV_MAX_ROWS } }] })
  })

  it('stops at the first row past the limit and lets other work run while it reads', async () => {
    const bytes = utf8(validRows(72_000))
    expect(bytes.length).toBeGreaterThan(9 * 1024 * 1024)
    let turns = 0
    let slowest = 0
    let last = performance.now()
    const timer = setInterval(() => { const now = performance.now(); slowest = Math.max(slowest, now - last); last = now; turns++ }, 1)
    const started = performance.now()
    const r = await parseTargetCsv(bytes)
    const took = performance.now() - started
    clearInterval(timer)
    expect(r).toEqual({ ok: false, errors: [{ key: 'admin.targets.csv.errors.tooManyRows', vars: { max: CSV_MAX_ROWS } }] })
    expect(turns).toBeGreaterThan(5)
    expect(slowest).toBeLessThan(250)
    expect(took).toBeLessThan(2000)
  })

  it('refuses a bad header before reading further', async () => {
    const r = await parseTargetCsv(utf8(validRows(72_000).replace(/^name,/, 'nom,')))
    expect(r.ok).toBe(false)
    expect(!r.ok && r.errors.map((e) => e.key)).toEqual(['admin.targets.csv.errors.unknownColumns', 'admin.targets.csv.errors.missingColumns'])
  })
})

describe('helpers', () => {
  it('detects the delimiter from the header, ignoring quoted ones', () => {
    expect(detectDelimiter('name;x;email\n')).toBe(';')
    expect(detectDelimiter('"a;b",name,x\n')).toBe(',')
    expect(detectDelimiter('name\n')).toBe(',')
    expect(detectDelimiter('name\tx\r\n')).toBe('\t')
  })
  it('decodes UTF-8 and says which bytes are not', () => {
    expect(decodeCsv(utf8('a,b'))).toEqual({ ok: true, text: 'a,b', encoding: 'utf-8', bom: false })
    expect(decodeCsv(Buffer.from([0x61, 0xe9, 0x0a]))).toMatchObject({ ok: false, error: { key: 'admin.targets.csv.errors.notUtf8', vars: { line: 1 } } })
  })
  it('neutralises what a spreadsheet would run as a formula', () => {
    for (const cell of ['=1+1', '+33', '-2', '@SUM(A1)', '\tx', '\rx']) expect(neutraliseFormula(cell)).toBe(`'${cell}`)
    for (const cell of ['Alice', '', 'a=b', '1']) expect(neutraliseFormula(cell)).toBe(cell)
  })
})

describe('target language column', () => {
  it('reads the preferred language in its canonical form, refuses what is not a language tag, and accepts files without the column', async () => {
    const r = ok(await parseTargetCsv(utf8('name,language\nAna,es\nBruno,PT-br\nChen,zh_Hans\nDina,\nEli,iw\n')))
    expect(r.rows.map((x) => x.values.language)).toEqual(['es', 'pt-BR', 'zh-Hans', null, 'he'])
    const bad = ok(await parseTargetCsv(utf8('name,language\nAna,espagnol!\nBea,x-private\n')))
    expect(bad.errors).toEqual(expect.arrayContaining([expect.objectContaining({ row: 2, field: 'language', key: 'admin.targets.errors.language' }), expect.objectContaining({ row: 3, field: 'language' })]))
    expect(ok(await parseTargetCsv(utf8('name\nAna\n'))).rows[0]!.values.language).toBeNull()
  })
})

describe('targetsCsvStream', () => {
  const targets: TargetValues[] = [
    { name: 'Océane Marivaux', role: { fr: 'Ministre', en: 'Minister' }, organisation: 'Gouvernement, français', country: 'FR', handles: { x: 'OceaneMarivaux', mastodon: 'oceane@climat.social' }, email: 'cab@example.org', groups: ['eu', 'g7'], language: 'fr' },
    { name: '=HYPERLINK("http://evil")', role: {}, organisation: '@org', country: '', handles: {}, email: null, groups: [], language: null },
    { name: 'Amina Diallo', role: {}, organisation: '', country: 'SN', handles: {}, email: null, groups: [], language: 'pt-BR' }
  ]
  it('writes UTF-8 with a BOM, the header, CRLF, neutralised formulas; and reads back the same', async () => {
    const bytes = await buffer(targetsCsvStream(targets))
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    const out = bytes.toString('utf8')
    expect(out.startsWith(`\uFEFF${HEADER}\r\n`)).toBe(true)
    expect(out).toContain('Océane Marivaux,Ministre,Minister,"Gouvernement, français",FR,OceaneMarivaux,,oceane@climat.social,,cab@example.org,"eu, g7",fr\r\n')
    expect(out).toContain('"\'=HYPERLINK(""http://evil"")",,,\'@org,')
    const back = ok(await parseTargetCsv(Buffer.from(out, 'utf8')))
    expect(back.rows.map((r) => r.values)).toEqual(targets)
  })
})
