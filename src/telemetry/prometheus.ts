/** Prometheus text exposition format 0.0.4: the small subset a counter and a histogram need. */

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type Labels = Readonly<Record<string, string>>;

/** `{a="x",b="y"}` with the format's escapes; labels with an empty value are left out. */
export function formatLabels(labels: Labels): string {
  const parts = Object.entries(labels)
    .filter(([, value]) => value !== "")
    .map(([name, value]) => `${name}="${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

/**
 * The map key of a label set: cheap to build on every observation, where the formatted (escaped)
 * form is only needed when rendering. U+0001 cannot be confused with anything a label holds.
 */
function seriesKey(labels: Labels): string {
  let key = "";
  for (const name in labels) key += `${name}\u0001${labels[name]}\u0001`;
  return key;
}

function formatNumber(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(15)));
}

export class Counter {
  readonly #series = new Map<string, { labels: Labels; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  get size(): number {
    return this.#series.size;
  }

  has(labels: Labels): boolean {
    return this.#series.has(seriesKey(labels));
  }

  inc(labels: Labels): void {
    const key = seriesKey(labels);
    const series = this.#series.get(key);
    if (series) series.value += 1;
    else this.#series.set(key, { labels, value: 1 });
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const series of this.#series.values()) lines.push(`${this.name}${formatLabels(series.labels)} ${formatNumber(series.value)}`);
    return lines.join("\n");
  }
}

export class Histogram {
  readonly #series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {}

  get size(): number {
    return this.#series.size;
  }

  has(labels: Labels): boolean {
    return this.#series.has(seriesKey(labels));
  }

  observe(labels: Labels, value: number): void {
    const key = seriesKey(labels);
    let series = this.#series.get(key);
    if (!series) this.#series.set(key, (series = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) series.counts[i]! += 1;
    series.sum += value;
    series.count += 1;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const series of this.#series.values()) {
      this.buckets.forEach((bound, i) => {
        lines.push(`${this.name}_bucket${formatLabels({ ...series.labels, le: formatNumber(bound) })} ${series.counts[i]}`);
      });
      lines.push(`${this.name}_bucket${formatLabels({ ...series.labels, le: "+Inf" })} ${series.count}`);
      lines.push(`${this.name}_sum${formatLabels(series.labels)} ${formatNumber(series.sum)}`);
      lines.push(`${this.name}_count${formatLabels(series.labels)} ${series.count}`);
    }
    return lines.join("\n");
  }
}

/**
 * One unlabelled series whose value is read when rendered: a gauge, or a counter kept by
 * something else (a count it only ever adds to).
 */
export function renderSample(name: string, help: string, type: "counter" | "gauge", value: number): string {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${formatNumber(value)}`].join("\n");
}
