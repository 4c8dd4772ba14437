/**
 * The metric names a PromQL expression reads, and the files of ops/ that hold expressions: enough
 * PromQL to compare what the rules and the dashboard query with what the service exports.
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";

export const RULES_FILE = new URL("../../ops/prometheus/otp-actions.rules.yml", import.meta.url);
export const DASHBOARD_FILE = new URL("../../ops/grafana/otp-actions.json", import.meta.url);

const KEYWORDS = new Set(["and", "or", "unless", "bool", "offset", "inf", "nan"]);
const IDENTIFIER = /[A-Za-z_:][A-Za-z0-9_:]*/g;

/** Metric names in `expr`: identifiers that are not functions, keywords, labels or durations. */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/(?<![A-Za-z0-9_:])\d+(?:\.\d+)?(?:e[+-]?\d+)?(?:ms|[smhdwy])?(?![A-Za-z0-9_:])/g, " ");
  const names = new Set<string>();
  for (const match of stripped.matchAll(IDENTIFIER)) {
    const after = stripped.slice(match.index + match[0].length).trimStart();
    if (after.startsWith("(") || KEYWORDS.has(match[0].toLowerCase())) continue;
    names.add(match[0]);
  }
  return [...names];
}

/** Every `expr` of the alerting and recording rules. */
export function ruleExpressions(): string[] {
  const rules = parse(readFileSync(RULES_FILE, "utf8")) as { groups: Array<{ rules: Array<{ expr: string }> }> };
  return rules.groups.flatMap((group) => group.rules.map((rule) => rule.expr));
}

interface Panel {
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}

/** Every panel query of the dashboard, with Grafana's variables given plain values. */
export function dashboardExpressions(): string[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, "utf8")) as { panels: Panel[] };
  const panels = (list: Panel[]): Panel[] => list.flatMap((panel) => [panel, ...panels(panel.panels ?? [])]);
  return panels(dashboard.panels)
    .flatMap((panel) => panel.targets ?? [])
    .flatMap((target) => (target.expr ? [target.expr.replace(/\$__rate_interval/g, "5m").replace(/\$purpose/g, ".*")] : []));
}

/**
 * The series names an exposition offers to queries: each sample's name, and a histogram's
 * `_bucket`, `_sum` and `_count` (also when it has no series yet, from its TYPE line).
 */
export function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      const [, name, kind] = type;
      if (kind === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(`${name}${suffix}`);
      else names.add(name!);
      continue;
    }
    const sample = /^([A-Za-z_:][A-Za-z0-9_:]*)[{ ]/.exec(line);
    if (sample) names.add(sample[1]!);
  }
  return names;
}
