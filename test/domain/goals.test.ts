import { describe, expect, it } from 'vitest'
import { currentGoal, percentOf } from '../../server/domain/goals.ts'

describe('currentGoal', () => {
  it('keeps the campaign goal until it is reached', () => {
    expect(currentGoal(0, 500)).toBe(500)
    expect(currentGoal(499, 500)).toBe(500)
  })
  it('steps up 500 → 1,000 → 2,500 → 5,000 → 10,000 → 25,000', () => {
    expect(currentGoal(500, 500)).toBe(1000)
    expect(currentGoal(1000, 500)).toBe(2500)
    expect(currentGoal(2500, 500)).toBe(5000)
    expect(currentGoal(5000, 500)).toBe(10000)
    expect(currentGoal(10000, 500)).toBe(25000)
    expect(currentGoal(24999, 500)).toBe(25000)
  })
  it('steps up from an unusual goal to the ladder', () => {
    expect(currentGoal(700, 700)).toBe(1000)
    expect(currentGoal(1234, 1200)).toBe(2500)
  })
})

describe('percentOf', () => {
  it('is a whole percentage that says 100 only when reached', () => {
    expect(percentOf(0, 500)).toBe(0)
    expect(percentOf(250, 500)).toBe(50)
    expect(percentOf(499, 500)).toBe(99)
    expect(percentOf(500, 500)).toBe(100)
  })
})
