#!/usr/bin/env node
// Entry of the `bouteille` command: runs the TypeScript sources through tsx (no build step).
import { register } from 'tsx/esm/api'

register()
const { main } = await import('./cli.ts')
const code = await main(process.argv.slice(2))
if (code >= 0) process.exit(code)
