import neostandard from 'neostandard'

export default neostandard({
  ts: true,
  ignores: ['node_modules/**', '.data/**', 'migrations/**', 'bench/results/**', 'coverage/**']
})
