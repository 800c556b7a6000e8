/** An integer field's default, and the least and most a mapping may set. */
export interface IntegerBounds {
  default: number
  min: number
  max: number
}

/** A mapping's integer brought within `bounds`, rounded down; without a number, the default. */
export function withinBounds(value: unknown, bounds: IntegerBounds): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return bounds.default
  return Math.min(bounds.max, Math.max(bounds.min, Math.floor(value)))
}
