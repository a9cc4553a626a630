import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

/** A server started by the bench, in its own process. */
export interface Child {
  name: string
  proc: ChildProcess
  /** the last lines it printed (stdout and stderr), for error messages */
  output: () => string
  exited: Promise<number | null>
  stop: () => Promise<void>
}

const children = new Set<Child>()

/** Starts `node <args>` from cwd with the given extra environment; output is kept, not shown. With ipc, the child can exit when the bench goes away. */
export function startChild (name: string, args: string[], env: Record<string, string>, cwd: string, ipc = false): Child {
  const proc = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString().split('\n').filter(Boolean))
    if (lines.length > 60) lines.splice(0, lines.length - 60)
  }
  proc.stdout?.on('data', keep)
  proc.stderr?.on('data', keep)
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))))
  const child: Child = {
    name,
    proc,
    output: () => lines.join('\n'),
    exited,
    async stop () {
      children.delete(child)
      if (proc.exitCode !== null || proc.signalCode !== null) return
      proc.kill('SIGTERM')
      const done = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)])
      if (!done) {
        proc.kill('SIGKILL')
        await exited
      }
    }
  }
  children.add(child)
  return child
}

/** Stops every child still running (one by one, by process id). */
export async function stopAll (): Promise<void> {
  await Promise.all([...children].map((c) => c.stop()))
}

/** Polls url until it answers 2xx; fails early if the child exits, or after timeoutMs. */
export async function waitReady (child: Child, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let exited = false
  child.exited.then(() => { exited = true }, () => {})
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${child.name} exited before it was ready:\n${child.output()}`)
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) })
      await res.arrayBuffer()
      if (res.ok) return
    } catch {
      // not listening yet
    }
    await sleep(200)
  }
  throw new Error(`${child.name} not ready after ${timeoutMs / 1000} s at ${url}:\n${child.output()}`)
}

/** A TCP port free on the loopback address right now. */
export async function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}
