// The ladder goals climb when reached: 500 → 1,000 → 2,500 → 5,000 → 10,000 → 25,000 …
const MANTISSAS = [1, 2.5, 5]

/** The goal to show for a total: the campaign's own goal until it is reached, then the next step of the 1–2.5–5 ladder above the total. */
export function currentGoal (total: number, baseGoal: number): number {
  if (baseGoal <= 0) baseGoal = 100
  if (total < baseGoal) return baseGoal
  let magnitude = 1
  while (magnitude * 10 <= total) magnitude *= 10
  for (;;) {
    for (const m of MANTISSAS) {
      const step = m * magnitude
      if (step > total && step > baseGoal) return step
    }
    magnitude *= 10
  }
}

/** Progress as a whole percentage from 0 to 100 (never 100 before the goal is really reached). */
export function percentOf (total: number, goal: number): number {
  if (goal <= 0) return 100
  if (total >= goal) return 100
  return Math.min(99, Math.floor((total / goal) * 100))
}
