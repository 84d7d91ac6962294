/** A call's cost in USD as people read it (`$0.000130`, `$1.2500`); `–` when unknown or unpriced, never `$0`. */
export function formatCost(cost: number | null | undefined): string {
  if (cost === null || cost === undefined) return '–';
  return `$${cost < 0.01 ? cost.toFixed(6) : cost.toFixed(4)}`;
}
