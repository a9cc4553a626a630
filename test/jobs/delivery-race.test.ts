import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../server/config.ts'
import { createDeps, type Deps } from '../../server/deps.ts'
import { deliveries } from '../../server/db/schema.ts'
import { insertBottleMessage } from '../delivery-fixtures.ts'
import { buildTestDeps, seedCampaign, silentLog, testEnv, type TestContext } from '../helper.ts'
import { startSmtpSink, type SmtpSink } from '../smtp-sink.ts'

describe('one delivery row run by two workers at the same instant', () => {
  let sink: SmtpSink
  let t: TestContext
  let second: Deps

  beforeAll(async () => {
    sink = await startSmtpSink()
    t = await buildTestDeps({ SMTP_URL: sink.url })
    // A second worker process: its own pool and mailer over the same database.
    second = await createDeps({ ...loadConfig(testEnv(t.databaseUrl, t.prefix, { SMTP_URL: sink.url })), databaseUrl: t.databaseUrl }, silentLog)
  })
  afterAll(async () => {
    await second.close()
    await t.close()
    await sink.close()
  })

  it('sends one e-mail: one run sends, the other finds the row claimed', async () => {
    const c = await seedCampaign(t.deps)
    const target = c.targets[0]!
    await insertBottleMessage(t.deps, c.id, target.id, 'Financez le fonds pertes et dommages.')
    const rounds = 5
    for (let i = 0; i < rounds; i++) {
      const [row] = await t.deps.db.insert(deliveries).values({ campaignId: c.id, targetId: target.id, round: i + 1, messageId: `<${randomUUID()}@bouteille.test>` }).returning({ id: deliveries.id })
      const results = await Promise.all([t.deps.delivery.run(row!.id, { final: false }), second.delivery.run(row!.id, { final: false })])
      expect(results.sort()).toEqual(['sent', 'skipped'])
    }
    await sink.waitFor(rounds)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(sink.mails).toHaveLength(rounds)
    const { rows } = await t.deps.pool.query('SELECT status, attempts FROM deliveries WHERE campaign_id = $1', [c.id])
    expect(rows).toEqual(Array.from({ length: rounds }, () => ({ status: 'sent', attempts: 1 })))
  })
})
