// Spreadsheet safety shared by every CSV Bouteille writes (targets, actions, counts).

const FORMULA_START = /^[=+\-@\t\r]/

/** A cell a spreadsheet would run as a formula (= + - @, or a leading tab or carriage return) gets a leading apostrophe. */
export function neutraliseFormula (cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell
}

/** The cell as it was before neutraliseFormula (a target file exported by Bouteille and imported again). */
export function unneutraliseFormula (cell: string): string {
  return /^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell
}
