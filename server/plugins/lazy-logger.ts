import type { FastifyBaseLogger } from 'fastify'
import type { Bindings, ChildLoggerOptions } from 'fastify/types/logger.js'

type Args = Parameters<FastifyBaseLogger['info']>

/**
 * A request's logger that makes its pino child (with the request id) only when something is logged. Most requests
 * log nothing (request logging is off), and a pino child per request costs a cached page view a few per cent.
 */
class LazyChild {
  private real: FastifyBaseLogger | null = null

  constructor (
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions
  ) {}

  private logger (): FastifyBaseLogger {
    this.real ??= this.parent.child(this.bindings, this.options)
    return this.real
  }

  get level (): string { return this.real?.level ?? (typeof this.options.level === 'string' ? this.options.level : this.parent.level) }
  set level (level: string) { this.logger().level = level }

  fatal (...args: Args): void { this.logger().fatal(...args) }
  error (...args: Args): void { this.logger().error(...args) }
  warn (...args: Args): void { this.logger().warn(...args) }
  info (...args: Args): void { this.logger().info(...args) }
  debug (...args: Args): void { this.logger().debug(...args) }
  trace (...args: Args): void { this.logger().trace(...args) }
  silent (...args: Args): void { this.logger().silent(...args) }
  child (bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger { return this.logger().child(bindings, options) }
}

/** Fastify's childLoggerFactory: each request gets a LazyChild of the server's logger. */
export function lazyChildLogger (logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new LazyChild(logger, bindings, options) as unknown as FastifyBaseLogger
}
