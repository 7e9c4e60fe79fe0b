// Checks the Grafana dashboards in deploy/grafana: valid JSON, unique panel ids, every panel and target
// on the dashboard's Prometheus datasource variable, and every gatehouse_* metric a query names
// declared by an app (`name: 'gatehouse_…'` in apps/*/src/metrics/*.ts; a histogram's _bucket, _sum
// and _count series too). Usage: node deploy/check-dashboard.mjs [DASHBOARD.json...]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const HISTOGRAM_SERIES = ['_bucket', '_sum', '_count'];
/** Grafana's template variable the dashboard's datasource is chosen by (a literal `${…}`, not a JS template). */
const DATASOURCE_VARIABLE = ['$', '{datasource}'].join('');

/** name -> metric type, from the apps' metric definitions. */
function declaredMetrics() {
  const metrics = new Map();
  for (const app of readdirSync('apps')) {
    let files = [];
    try {
      files = readdirSync(join('apps', app, 'src/metrics')).filter((file) => /(?<!\.test)\.ts$/.test(file));
    } catch {
      continue;
    }
    for (const file of files) {
      const source = readFileSync(join('apps', app, 'src/metrics', file), 'utf8');
      for (const match of source.matchAll(/new (Counter|Gauge|Histogram|Summary)\(\{\s*name: '([a-z_:]+)'/g))
        metrics.set(match[2], match[1]);
    }
  }
  return metrics;
}

function problemsOf(path, metrics) {
  let dashboard;
  try {
    dashboard = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return [`${path}: not valid JSON (${error.message})`];
  }
  const problems = [];
  const ids = new Set();
  for (const panel of dashboard.panels ?? []) {
    const where = `${path}: panel ${panel.id} "${panel.title}"`;
    if (ids.has(panel.id)) problems.push(`${where}: id used twice`);
    ids.add(panel.id);
    if (panel.datasource?.uid !== DATASOURCE_VARIABLE)
      problems.push(`${where}: datasource is not ${DATASOURCE_VARIABLE}`);
    if (!(panel.targets?.length > 0)) problems.push(`${where}: no queries`);
    for (const target of panel.targets ?? []) {
      const names = target.expr?.match(/\bgatehouse_[a-z_]+/g) ?? [];
      if (names.length === 0) problems.push(`${where}: query ${target.refId} names no gatehouse metric`);
      for (const name of names) {
        const suffix = HISTOGRAM_SERIES.find((series) => name.endsWith(series));
        const base =
          suffix && metrics.get(name.slice(0, -suffix.length)) === 'Histogram'
            ? name.slice(0, -suffix.length)
            : name;
        if (!metrics.has(base)) problems.push(`${where}: ${name} is not a metric any app declares`);
        else if (metrics.get(base) === 'Histogram' && base === name)
          problems.push(`${where}: ${name} is a histogram; query ${name}_bucket, _sum or _count`);
      }
    }
  }
  return problems;
}

const files = process.argv.slice(2);
const dashboards =
  files.length > 0
    ? files
    : readdirSync('deploy/grafana')
        .filter((file) => file.endsWith('.json'))
        .map((file) => join('deploy/grafana', file));
const metrics = declaredMetrics();
const problems = dashboards.flatMap((file) => problemsOf(file, metrics));
for (const problem of problems) console.error(`dashboard check: ${problem}`);
console.log(
  `dashboard check: ${dashboards.length} dashboard(s), ${metrics.size} declared metrics, ${problems.length} problem(s)`,
);
process.exitCode = problems.length > 0 ? 1 : 0;
