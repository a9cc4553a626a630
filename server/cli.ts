import { parseArgs } from 'node:util'
import { ConfigError, loadConfig, type Config } from './config.ts'
import { LocalServiceError } from './infra/local-services.ts'
import { createDb, type Db } from './db/client.ts'
import { asLog, createLogger, prepareDatabase, prepareDatabaseUrl, start, type Role } from './main.ts'
import type { Logger } from './deps.ts'
import { seedDemo } from './seed/seed-demo.ts'
import { checkCatalogs } from './i18n-check.ts'
import type { UserRole } from './db/schema.ts'
import { isEmail } from './domain/intents.ts'
import { createAccessService } from './services/access-service.ts'
import { createAuditService } from './services/audit-service.ts'
import { PASSWORD_MIN, ROLES, createAuthService } from './services/auth-service.ts'
import { PASSWORD_MAX, passwordProblem, type PasswordProblem } from './domain/password-rules.ts'
import { createPasswordService, RESET_MINUTES } from './services/password-service.ts'
import { createTwoFactorService } from './services/two-factor-service.ts'

const USAGE = `Usage: bouteille <command>

Commands:
  start [web|worker|all]   run the web server, the worker, or both in one process (default: all)
  migrate                  apply the database migrations (under a PostgreSQL advisory lock)
  seed-demo                add the demo campaign "tweetbouteille" if it is not there
  user create --email E --password P --role owner|editor|viewer [--campaign SLUG]...
                           create a team account; with --campaign (repeatable) an editor
                           or viewer of these campaigns only
  user reset-password --email E [--password P] [--remove-2fa]
                           set a member's password (or print a one-time link to choose one,
                           valid 60 minutes); ends their sessions; --remove-2fa turns off
                           their two-factor sign-in (a lost phone and recovery codes)
  i18n-check               check the catalogs in views/locales: missing keys (fails for a
                           shipped supporter catalog: fr, en, es) and keys no source uses
  help                     show this text

Settings are environment variables: see .env.example and the README.`

/** The `bouteille` command line. */
export async function main (argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, strict: false })
  const [command = 'help', sub] = positionals
  try {
    switch (command) {
      case 'start': {
        const role = (sub ?? 'all') as Role
        if (!['web', 'worker', 'all'].includes(role)) {
          console.error(`bouteille start: unknown role "${sub}". Use web, worker or all.`)
          return 2
        }
        await start(role)
        return -1 // keeps running
      }
      case 'migrate':
      case 'seed-demo':
        return await withMigratedDatabase(async (db, log) => {
          log.info('Migrations applied')
          if (command === 'seed-demo') log.info(await seedDemo(db) ? 'Demo campaign "tweetbouteille" added' : 'The demo campaign is already there')
          return 0
        })
      case 'user': {
        if (sub === 'reset-password') return await resetPassword(argv.slice(2))
        if (sub !== 'create') {
          console.error('Usage: bouteille user create --email E --password P --role owner|editor|viewer [--campaign SLUG]...\n       bouteille user reset-password --email E [--password P] [--remove-2fa]')
          return 2
        }
        const { values } = parseArgs({ args: argv.slice(2), options: { email: { type: 'string' }, password: { type: 'string' }, role: { type: 'string' }, name: { type: 'string' }, campaign: { type: 'string', multiple: true } }, strict: false })
        const email = String(values.email ?? '')
        const password = String(values.password ?? '')
        const role = String(values.role ?? '')
        const slugs = [values.campaign ?? []].flat().map(String)
        // Length, common passwords and the e-mail first, without the database; the campaigns' names once it is open.
        const problems = [
          isEmail(email) ? null : '--email must be an e-mail address',
          passwordMessage(passwordProblem(password, { email })),
          ROLES.includes(role as UserRole) ? null : '--role must be owner, editor or viewer',
          slugs.length > 0 && role === 'owner' ? '--campaign is for an editor or viewer (an owner sees every campaign)' : null
        ].filter(Boolean)
        if (problems.length > 0) {
          console.error(`bouteille user create: ${problems.join('; ')}.`)
          return 2
        }
        return await withMigratedDatabase(async (db, _log, config) => {
          const auth = createAuthService({ db, redis: null, prefix: config.redisPrefix, secret: config.secret })
          const problem = await createPasswordService({ db, auth }).problem(password, email)
          if (problem) {
            console.error(`bouteille user create: ${PASSWORD_PROBLEMS[problem]}.`)
            return 2
          }
          if (await auth.findByEmail(email)) {
            console.error(`bouteille user create: an account with ${email} exists already.`)
            return 1
          }
          const audit = createAuditService({ db })
          const access = createAccessService({ db, audit })
          const { ids, unknown } = await access.campaignIdsBySlug(slugs)
          if (unknown.length > 0) {
            console.error(`bouteille user create: no campaign with the address ${unknown.map((s) => `"${s}"`).join(', ')}.`)
            return 1
          }
          // Audited like any change to the team, by "system": the command line has no signed-in user.
          const user = await db.transaction(async (tx) => {
            const created = await auth.createUser({ email, password, role: role as UserRole, name: typeof values.name === 'string' ? values.name : '' }, tx)
            await audit.record(null, { action: 'create', entity: 'user', entityId: created.id, after: { email: created.email, name: created.name, role: created.role } }, tx)
            if (slugs.length > 0) await access.setGrants(null, created.id, { allCampaigns: false, campaignIds: ids }, tx)
            return created
          })
          console.log(`Created ${user.role} ${user.email}${slugs.length > 0 ? ` for the campaigns ${[...new Set(slugs)].join(', ')}` : ''}`)
          return 0
        })
      }
      case 'i18n-check': {
        const root = new URL('..', import.meta.url).pathname
        const report = checkCatalogs({ localesDir: `${root}views/locales`, sourceDirs: ['server', 'views', 'jobs', 'public/js'].map((d) => root + d) })
        for (const line of report.lines) (report.ok ? console.log : console.error)(line)
        return report.ok ? 0 : 1
      }
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE)
        return 0
      default:
        console.error(`bouteille: unknown command "${command}".\n\n${USAGE}`)
        return 2
    }
  } catch (err) {
    if (err instanceof ConfigError || err instanceof LocalServiceError || /Redis|ECONNREFUSED|password authentication|does not exist/.test(String((err as Error)?.message))) {
      console.error((err as Error).message)
      return 1
    }
    throw err
  }
}

/** `user reset-password`: an owner's way in when mail is off, or for a member who lost their second factor. */
async function resetPassword (args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { email: { type: 'string' }, password: { type: 'string' }, 'remove-2fa': { type: 'boolean' } }, strict: false })
  const email = String(values.email ?? '')
  if (!isEmail(email)) {
    console.error('bouteille user reset-password: --email must be an e-mail address.')
    return 2
  }
  return withMigratedDatabase(async (db, _log, config) => {
    const auth = createAuthService({ db, redis: null, prefix: config.redisPrefix, secret: config.secret })
    const passwords = createPasswordService({ db, auth })
    const member = await auth.findByEmail(email)
    if (!member) {
      console.error(`bouteille user reset-password: no member has the address ${email}.`)
      return 1
    }
    const audit = createAuditService({ db })
    if (values['remove-2fa'] === true) {
      await createTwoFactorService({ db, secret: config.secret }).disable(member.id)
      await audit.record(null, { action: 'disable', entity: 'two-factor', entityId: member.id, before: { email: member.email } })
      console.log(`Two-factor sign-in is off for ${member.email}.`)
    }
    if (typeof values.password === 'string') {
      const problem = await passwords.problem(values.password, member.email)
      if (problem) {
        console.error(`bouteille user reset-password: ${PASSWORD_PROBLEMS[problem]}.`)
        return 2
      }
      await passwords.set(member.id, values.password)
      await audit.record(null, { action: 'reset', entity: 'password', entityId: member.id, after: { email: member.email } })
      console.log(`The password of ${member.email} was changed; their sessions were ended.`)
      return 0
    }
    const { token } = await passwords.createReset(member.id)
    console.log(`One-time link for ${member.email} (valid ${RESET_MINUTES} minutes):\n${config.publicUrl}/admin/password/reset/${token}`)
    return 0
  })
}

const PASSWORD_PROBLEMS: Record<PasswordProblem, string> = {
  length: `--password must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters long`,
  common: '--password is among the most common passwords; choose another',
  personal: '--password is made of the e-mail address or a campaign name; choose another'
}
const passwordMessage = (problem: PasswordProblem | null): string | null => problem ? PASSWORD_PROBLEMS[problem] : null

/** Runs a command's work on the migrated database (embedded when DATABASE_URL is unset); needs no Redis. */
async function withMigratedDatabase (fn: (db: Db, log: Logger, config: Readonly<Config>) => Promise<number>): Promise<number> {
  const config = loadConfig()
  const log = asLog(createLogger(config))
  const { databaseUrl, service } = await prepareDatabaseUrl(config, log)
  try {
    await prepareDatabase(databaseUrl, false, log)
    const { pool, db } = createDb(databaseUrl, 1)
    try {
      return await fn(db, log, config)
    } finally {
      await pool.end()
    }
  } finally {
    await service?.stop()
  }
}
