/**
 * Counters and histograms for the hot path: an update is a map lookup and a few number writes
 * (prom-client's own hashes, validates and allocates on each one — measured at ≈ 1 % of an
 * execution's CPU). They register with a prom-client Registry, which formats them with the rest.
 */
import type { Registry } from 'prom-client'

type Labels = Record<string, string>

interface Sample {
  labels: Labels
  value: number
  metricName?: string
}

/** What prom-client's Registry reads from a metric. */
interface RegistryMetric {
  name: string
  help: string
  type: 'counter' | 'histogram'
  get(): Promise<{ name: string; help: string; type: string; values: Sample[]; aggregator: 'sum' }>
}

const labelsOf = (names: readonly string[], values: readonly string[]): Labels =>
  Object.fromEntries(names.map((name, i) => [name, values[i]]))

export class FastCounter implements RegistryMetric {
  readonly type = 'counter'
  private readonly series = new Map<string, { labels: Labels; value: number }>()

  constructor(
    registry: Registry,
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[] = [],
  ) {
    registry.registerMetric(this as never)
  }

  /** Add one (or `by`) to the series of these label values, in `labelNames` order. */
  inc(values: readonly string[] = [], by = 1): void {
    const key = values.join('\u0000')
    let entry = this.series.get(key)
    if (!entry)
      this.series.set(key, (entry = { labels: labelsOf(this.labelNames, values), value: 0 }))
    entry.value += by
  }

  async get() {
    const values = [...this.series.values()].map(({ labels, value }) => ({ labels, value }))
    return { name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' as const }
  }
}

interface HistogramSeries {
  labels: Labels
  counts: Float64Array
  sum: number
  count: number
}

export class FastHistogram implements RegistryMetric {
  readonly type = 'histogram'
  private readonly series = new Map<string, HistogramSeries>()

  constructor(
    registry: Registry,
    readonly name: string,
    readonly help: string,
    private readonly buckets: readonly number[],
    private readonly labelNames: readonly string[] = [],
  ) {
    registry.registerMetric(this as never)
  }

  /** An observer for one series, looked up once: each observation then allocates nothing. */
  child(values: readonly string[] = []): { observe(value: number): void } {
    const key = values.join('\u0000')
    let series = this.series.get(key)
    if (!series) {
      series = {
        labels: labelsOf(this.labelNames, values),
        counts: new Float64Array(this.buckets.length),
        sum: 0,
        count: 0,
      }
      this.series.set(key, series)
    }
    const { buckets } = this
    const target = series
    return {
      observe(value: number) {
        target.sum += value
        target.count++
        for (let i = 0; i < buckets.length; i++) {
          if (value <= buckets[i]) {
            target.counts[i]++
            return
          }
        }
      },
    }
  }

  observe(value: number, values: readonly string[] = []): void {
    this.child(values).observe(value)
  }

  async get() {
    const values: Sample[] = []
    for (const { labels, counts, sum, count } of this.series.values()) {
      let cumulative = 0
      this.buckets.forEach((bound, i) => {
        cumulative += counts[i]
        values.push({
          labels: { ...labels, le: String(bound) },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        })
      })
      values.push({
        labels: { ...labels, le: '+Inf' },
        value: count,
        metricName: `${this.name}_bucket`,
      })
      values.push({ labels, value: sum, metricName: `${this.name}_sum` })
      values.push({ labels, value: count, metricName: `${this.name}_count` })
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' as const }
  }
}
