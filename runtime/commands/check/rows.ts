export type CheckStatus = 'ok' | 'error' | 'skipped' | 'match' | 'create' | 'fail'

export interface CheckRow {
  subscription: string
  list: string
  field: string
  status: CheckStatus
  reason: string
}

export const isProblem = (row: CheckRow) => row.status === 'error' || row.status === 'fail'

export type Row = Omit<CheckRow, 'subscription' | 'list'>

export function formatCheck(rows: CheckRow[]): string {
  const header: CheckRow = {
    subscription: 'subscription',
    list: 'list',
    field: 'field',
    status: 'status' as CheckStatus,
    reason: 'reason'
  }
  const columns: (keyof CheckRow)[] = ['subscription', 'list', 'field', 'status', 'reason']
  const widths = columns.map((c) => Math.max(...[header, ...rows].map((r) => r[c].length)))
  const line = (r: CheckRow) =>
    columns.map((c, i) => (i === columns.length - 1 ? r[c] : r[c].padEnd(widths[i]))).join('  ')
  return [line(header), ...rows.map(line)].join('\n')
}
