// Keel's web console: read-only pages over what Pilot (or the one-process
// keel) already serves on its monitoring port: /readyz, /metrics and the
// /debug pages. Plain browser JavaScript, no framework; every page is
// refreshed each second without a reload.
'use strict';

const REFRESH_MS = 1000;
const state = {
  page: 'overview',
  namespace: 'default',   // the traffic page's viewpoint
  proxyFilter: '',        // the proxies page's namespace filter
  proxySort: { column: 'proxy', descending: false },
  selectedProxy: '',
  selectedService: '',
  selectedConfig: null,   // the config page's resource: {kind, namespace, name}
  history: [],            // the pushes page's samples of /metrics
  telemetry: [],          // the traffic page's samples of istio_requests_total (last minute)
  prometheusRates: null,  // or /debug/rates: Pilot reads Prometheus (Mixer in another process)
  refreshes: 0,
};

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g,
      (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

async function fetchText(path) {
  const response = await fetch(path, { cache: 'no-store' });
  return { status: response.status, body: await response.text() };
}

async function fetchJson(path) {
  const { status, body } = await fetchText(path);
  if (status !== 200) return null;
  return JSON.parse(body);
}

// Prometheus text format -> [{name, labels, value}].
function parseMetrics(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/);
    if (!match) continue;
    const labels = {};
    if (match[3]) {
      for (const pair of match[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
        labels[pair[1]] = pair[2];
      }
    }
    samples.push({ name: match[1], labels, value: Number(match[4]) });
  }
  return samples;
}

function sum(samples, name, filter = () => true) {
  return samples.filter((s) => s.name === name && filter(s.labels)).reduce((a, s) => a + s.value, 0);
}

function first(samples, name) {
  return samples.find((s) => s.name === name);
}

// "type~ip~name.namespace~domain" -> namespace.
function proxyNamespace(id) {
  const parts = id.split('~');
  if (parts.length < 3) return '';
  const dot = parts[2].indexOf('.');
  return dot < 0 ? '' : parts[2].slice(dot + 1);
}

function kindOf(typeUrl) {
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}

function card(label, value, klass = '') {
  return `<div class="card"><div class="value ${klass}">${escapeHtml(value)}</div>` +
         `<div class="label">${escapeHtml(label)}</div></div>`;
}

function duration(seconds) {
  if (!isFinite(seconds)) return '?';
  const d = Math.floor(seconds / 86400), h = Math.floor(seconds / 3600) % 24;
  const m = Math.floor(seconds / 60) % 60, s = Math.floor(seconds) % 60;
  return d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${s}s` : `${s}s`;
}

// ---- Overview --------------------------------------------------------------

async function renderOverview() {
  const [ready, metricsText, configz, syncz] = await Promise.all([
    fetchText('/readyz'), fetchText('/metrics'), fetchJson('/debug/configz'), fetchJson('/debug/syncz')]);
  const metrics = parseMetrics(metricsText.body);
  const build = first(metrics, 'keel_build_info');
  const started = first(metrics, 'process_start_time_seconds');
  const proxies = syncz || [];
  let html = '<h2>Overview</h2><div class="cards">';
  html += card('health', ready.status === 200 ? 'ready' : 'not ready', ready.status === 200 ? 'ok' : 'bad');
  html += card('component', build ? build.labels.component : '?');
  html += card('version', build ? build.labels.version : '?');
  html += card('uptime', started ? duration(Date.now() / 1000 - started.value) : '?');
  html += card('connected proxies', proxies.length);
  html += card('config version', configz ? configz.version : '?');
  html += '</div>';
  if (ready.status !== 200) html += `<h3>Why not ready</h3><pre>${escapeHtml(ready.body)}</pre>`;
  html += '<h3>Config by kind</h3><table><tr><th>Kind</th><th>Resources</th></tr>';
  const types = configz ? configz.types : {};
  for (const typeUrl of Object.keys(types).sort()) {
    if (types[typeUrl].length === 0) continue;
    html += `<tr><td>${escapeHtml(kindOf(typeUrl))}</td><td>${types[typeUrl].length}</td></tr>`;
  }
  html += '</table><h3>Last errors</h3>';
  const errors = [];
  for (const stream of proxies) {
    for (const type of stream.types || []) {
      if (type.status === 'ERROR') errors.push(`${stream.proxy} NACKed ${kindOf(type.type)}: ${type.error}`);
    }
  }
  const meshErrors = sum(metrics, 'pilot_mesh_config_errors_total');
  if (meshErrors > 0) errors.push(`${meshErrors} mesh config reload(s) rejected (see the log)`);
  html += errors.length === 0 ? '<p class="muted" id="no-errors">none</p>'
      : '<ul id="errors">' + errors.map((e) => `<li class="bad">${escapeHtml(e)}</li>`).join('') + '</ul>';
  return html;
}

// ---- Config ----------------------------------------------------------------

async function renderConfig() {
  // Galley's report is here only when Galley shares the process (the debug
  // index lists its pages then).
  const [configz, index] = await Promise.all([fetchJson('/debug/configz'), fetchText('/debug')]);
  const galley = index.body.includes('/debug/galley/configz') ? await fetchJson('/debug/galley/configz') : null;
  let html = '<h2>Config</h2><table id="config-table"><tr><th>Kind</th><th>Namespace</th><th>Name</th></tr>';
  const types = configz ? configz.types : {};
  const selected = state.selectedConfig;
  for (const typeUrl of Object.keys(types).sort()) {
    for (const key of types[typeUrl]) {
      const [ns, name] = key.split('/');
      const kind = kindOf(typeUrl);
      const active = selected && selected.kind === kind && selected.namespace === ns && selected.name === name;
      html += `<tr class="config-row${active ? ' selected' : ''}" data-kind="${escapeHtml(kind)}" ` +
          `data-namespace="${escapeHtml(ns)}" data-name="${escapeHtml(name)}"><td>${escapeHtml(kind)}</td>` +
          `<td>${escapeHtml(ns)}</td><td>${escapeHtml(name)}</td></tr>`;
    }
  }
  html += '</table>';
  html += selected ? await historyHtml(selected) : '<p class="muted">Click a resource for its history.</p>';
  html += '<h3>Validation</h3>';
  if (galley === null) {
    html += '<p class="muted">Galley runs in another process: its report (errors and warnings at ' +
            'file:line) is on its own monitoring port at /debug/configz, and `keelctl validate` prints it.</p>';
  } else {
    const lines = [];
    for (const d of galley.errors || []) lines.push(['bad', d]);
    for (const d of galley.warnings || []) lines.push(['warn', d]);
    html += lines.length === 0 ? '<p class="ok">every file is valid</p>' : '<ul>' + lines.map(([k, d]) =>
        `<li class="${k}">${escapeHtml(`${d.file}:${d.line}:${d.column}: ${d.resource}: ${d.message}`)}</li>`).join('') + '</ul>';
  }
  return html;
}

// A resource's versions, newest first, as Galley's config store on etcd
// keeps them (keelctl history's answer); each version's lines that the one
// before it did not have are marked.
async function historyHtml(ref) {
  const { status, body } = await fetchText(`/debug/history?kind=${encodeURIComponent(ref.kind)}` +
      `&namespace=${encodeURIComponent(ref.namespace)}&name=${encodeURIComponent(ref.name)}`);
  let html = `<div id="history"><h3>History of ${escapeHtml(`${ref.kind} ${ref.namespace}/${ref.name}`)}</h3>`;
  const answer = JSON.parse(body);
  if (status !== 200) {
    return html + `<p class="muted">${escapeHtml((answer.errors || []).join('; '))}</p></div>`;
  }
  const versions = answer.versions.map((v) => {
    const object = JSON.parse(JSON.stringify(v.object));
    delete object.metadata.resourceVersion;  // the revision is shown apart
    const source = (object.metadata.annotations || {})['keel.io/config-source'];
    return { revision: v.revision, source, lines: JSON.stringify(object, null, 2).split('\n') };
  });
  versions.forEach((v, i) => {
    const older = versions[i + 1];
    const before = new Set(older ? older.lines : []);
    const text = v.lines.map((line) => older && !before.has(line)
        ? `<span class="changed">${escapeHtml(line)}</span>` : escapeHtml(line)).join('\n');
    const what = (older ? 'changed' : 'the oldest version kept') +
        (v.source === 'api' ? ' through the config API' : v.source === 'folder' ? ' from the config folders' : '');
    html += `<div class="version" data-revision="${v.revision}"><div class="label">revision ${v.revision}: ${what}` +
        `</div><pre>${text}</pre></div>`;
  });
  return html + '</div>';
}

// ---- Proxies ---------------------------------------------------------------

function statusClass(status) {
  return status === 'SYNCED' ? 'ok' : status === 'ERROR' ? 'bad' : 'warn';
}

async function renderProxies() {
  const syncz = (await fetchJson('/debug/syncz')) || [];
  const rows = syncz.map((stream) => {
    const row = { proxy: stream.proxy, namespace: proxyNamespace(stream.proxy) };
    for (const type of stream.types || []) row[{ Cluster: 'CDS', Listener: 'LDS', ClusterLoadAssignment: 'EDS', RouteConfiguration: 'RDS' }[kindOf(type.type).split('.').pop()] || kindOf(type.type)] = type.status;
    return row;
  });
  const namespaces = [...new Set(rows.map((r) => r.namespace))].sort();
  const shown = rows.filter((r) => state.proxyFilter === '' || r.namespace === state.proxyFilter);
  const { column, descending } = state.proxySort;
  shown.sort((a, b) => String(a[column] || '').localeCompare(String(b[column] || '')) * (descending ? -1 : 1));
  let html = '<h2>Proxies</h2><label>Namespace <select id="ns-filter"><option value="">all</option>' +
      namespaces.map((ns) => `<option${ns === state.proxyFilter ? ' selected' : ''}>${escapeHtml(ns)}</option>`).join('') +
      '</select></label><table id="proxy-table"><tr>';
  for (const c of ['proxy', 'namespace', 'CDS', 'LDS', 'EDS', 'RDS']) html += `<th data-sort="${c}">${c}</th>`;
  html += '</tr>';
  for (const row of shown) {
    html += `<tr class="proxy-row" data-proxy="${escapeHtml(row.proxy)}"><td><a href="#proxies">${escapeHtml(row.proxy)}</a></td>` +
        `<td>${escapeHtml(row.namespace)}</td>`;
    for (const t of ['CDS', 'LDS', 'EDS', 'RDS']) {
      const status = row[t] || 'NOT SENT';
      html += `<td class="${statusClass(status)}">${escapeHtml(status)}</td>`;
    }
    html += '</tr>';
  }
  html += '</table>';
  if (state.selectedProxy !== '') {
    const dump = await fetchText('/debug/config_dump?proxyID=' + encodeURIComponent(state.selectedProxy));
    html += `<h3>What ${escapeHtml(state.selectedProxy)} holds</h3><pre>${escapeHtml(
        dump.status === 200 ? JSON.stringify(JSON.parse(dump.body), null, 2) : dump.body)}</pre>`;
  }
  return html;
}

// ---- Traffic ---------------------------------------------------------------

// Mixer's standard metric (samples/mixer/telemetry.yaml), when Mixer shares
// this process: request totals by destination service and version, with
// the failed ones (5xx, or a gRPC status other than OK) apart.
function requestTotals(samples) {
  let requests = samples.filter((s) => s.name === 'istio_requests_total');
  // Both sides report a request; count it once, as the server saw it.
  if (requests.some((s) => s.labels.reporter === 'destination')) {
    requests = requests.filter((s) => s.labels.reporter === 'destination');
  }
  const totals = {};
  for (const s of requests) {
    const key = `${s.labels.destination_service}|${s.labels.destination_version}`;
    const t = totals[key] || (totals[key] = { total: 0, errors: 0 });
    t.total += s.value;
    const grpc = s.labels.grpc_response_status || '';
    if (Number(s.labels.response_code) >= 500 || (grpc !== '' && grpc !== '0')) t.errors += s.value;
  }
  return totals;
}

// Requests per second and the share that failed over the last minute, for
// an edge to `host` (its subset's version label, when it has one).
function edgeRate(host, labels) {
  if (state.prometheusRates !== null) {
    let perSecond = 0, errors = 0, seen = false;
    for (const r of state.prometheusRates) {
      if (r.service !== host || (labels && labels.version && labels.version !== r.version)) continue;
      perSecond += r.perSecond || 0;
      errors += r.errorsPerSecond || 0;
      seen = true;
    }
    return seen ? { perSecond, errorShare: perSecond > 0 ? errors / perSecond : 0 } : null;
  }
  const samples = state.telemetry;
  if (samples.length < 2) return null;
  const newest = samples[samples.length - 1], oldest = samples[0];
  const pick = (totals) => {
    let total = 0, errors = 0;
    for (const [key, t] of Object.entries(totals)) {
      const [service, version] = key.split('|');
      if (service !== host || (labels && labels.version && labels.version !== version)) continue;
      total += t.total;
      errors += t.errors;
    }
    return { total, errors };
  };
  const a = pick(oldest.totals), b = pick(newest.totals);
  const seconds = newest.at - oldest.at, requests = b.total - a.total;
  if (seconds <= 0 || b.total === 0) return null;
  return { perSecond: requests / seconds, errorShare: requests > 0 ? (b.errors - a.errors) / requests : 0 };
}

// A two-column graph: services on the left, where their routes lead (a
// service's subset) on the right, an edge per route destination labelled
// with its weight.
function graphSvg(graph) {
  const sources = graph.services.filter((s) => s.visible).map((s) => s.host);
  const targets = [];
  for (const e of graph.edges) {
    const id = e.subset ? `${e.to}/${e.subset}` : e.to;
    if (!targets.includes(id)) targets.push(id);
  }
  const rowHeight = 54, width = 760, boxWidth = 270, boxHeight = 30;
  const height = Math.max(sources.length, targets.length, 1) * rowHeight + 20;
  const y = (i) => 20 + i * rowHeight;
  let svg = `<svg id="graph" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">`;
  graph.edges.forEach((e) => {
    const from = sources.indexOf(e.from), to = targets.indexOf(e.subset ? `${e.to}/${e.subset}` : e.to);
    if (from < 0 || to < 0) return;
    const x1 = 20 + boxWidth, y1 = y(from) + boxHeight / 2, x2 = width - 20 - boxWidth, y2 = y(to) + boxHeight / 2;
    const label = `${e.weight}%${e.matched ? ' (matched)' : ''}`;
    svg += `<path class="edge" d="M${x1},${y1} C${x1 + 80},${y1} ${x2 - 80},${y2} ${x2},${y2}" stroke-width="${1 + e.weight / 25}"/>`;
    svg += `<text class="weight" data-from="${escapeHtml(e.from)}" data-to="${escapeHtml(e.to)}" data-subset="${escapeHtml(e.subset)}" ` +
        `x="${x2 - 150}" y="${y2 - 6}">${escapeHtml(label)}</text>`;
    const rate = edgeRate(e.to, e.labels);
    if (rate !== null) {
      const text = `${rate.perSecond.toFixed(1)}/s, ${Math.round(100 * rate.errorShare)}% errors`;
      svg += `<text class="rate ${rate.errorShare > 0 ? 'bad' : 'ok'}" data-subset="${escapeHtml(e.subset)}" ` +
          `x="${x2 - 150}" y="${y2 + 16}">${escapeHtml(text)}</text>`;
    }
  });
  sources.forEach((host, i) => {
    svg += `<g class="service" data-host="${escapeHtml(host)}"><rect x="20" y="${y(i)}" width="${boxWidth}" height="${boxHeight}" rx="5"/>` +
        `<text x="30" y="${y(i) + 19}">${escapeHtml(host)}</text></g>`;
  });
  targets.forEach((id, i) => {
    svg += `<g class="subset"><rect x="${width - 20 - boxWidth}" y="${y(i)}" width="${boxWidth}" height="${boxHeight}" rx="5"/>` +
        `<text x="${width - 10 - boxWidth}" y="${y(i) + 19}">${escapeHtml(id)}</text></g>`;
  });
  return svg + '</svg>';
}

function describeText(d) {
  const lines = [`${d.host} as proxies in namespace "${d.viewedFrom}" see it`,
                 `VirtualService: ${d.virtualService || 'none (the default route)'}`];
  (d.routes || []).forEach((route, i) => {
    lines.push(`  route ${i + 1}${route.match.length ? ' when ' + JSON.stringify(route.match) : ''}`);
    for (const dest of route.destinations) {
      lines.push(`    ${dest.weight}% -> ${dest.host}${dest.subset ? ' subset ' + dest.subset : ''}` +
                 (dest.problem ? `  PROBLEM: ${dest.problem}` : ''));
      for (const ep of dest.endpoints) lines.push(`        ${ep.address}:${ep.port} ${ep.locality}`);
    }
  });
  for (const s of d.shadowed || []) lines.push(`  not applied: ${s.name}: ${s.reason}`);
  if (d.destinationRule) lines.push(`DestinationRule: ${d.destinationRule.name}`);
  for (const server of d.servers || []) lines.push(`server ${server.address}:${server.port} mTLS ${server.mtls}`);
  for (const p of d.subscribers || []) lines.push(`proxy ${p.proxy} ${p.status}${p.nack ? ': ' + p.nack : ''}`);
  return lines.join('\n');
}

async function renderTraffic() {
  const [graph, metricsText, rates] = await Promise.all([
    fetchJson('/debug/graph?namespace=' + encodeURIComponent(state.namespace)), fetchText('/metrics'),
    fetchText('/debug/rates')]);
  // Rates from Prometheus when Pilot reads one; else Mixer's metrics in
  // this process, sampled while the page is open.
  const answer = rates.status === 200 ? JSON.parse(rates.body) : null;
  state.prometheusRates = answer && answer.prometheus ? answer.rates : null;
  const totals = requestTotals(parseMetrics(metricsText.body));
  if (Object.keys(totals).length > 0) {
    const now = Date.now() / 1000;
    state.telemetry.push({ at: now, totals });
    while (state.telemetry.length > 2 && now - state.telemetry[0].at > 60) state.telemetry.shift();
  }
  let html = `<h2>Traffic</h2><label>As proxies in namespace <input id="traffic-ns" value="${escapeHtml(state.namespace)}"></label>`;
  if (rates.status === 502) {
    html += `<p class="warn">Live rates: ${escapeHtml((JSON.parse(rates.body).errors || []).join('; '))}</p>`;
  }
  if (graph === null) return html + '<p class="muted">Pilot does not hold its config yet.</p>';
  html += '<div class="layout"><div>' + graphSvg(graph) + '</div><div class="side">';
  if (state.selectedService !== '') {
    const d = await fetchJson(`/debug/describe?service=${encodeURIComponent(state.selectedService)}&namespace=${encodeURIComponent(state.namespace)}`);
    html += `<h3>${escapeHtml(state.selectedService)}</h3><pre id="describe">${escapeHtml(d ? describeText(d) : 'not found')}</pre>`;
  } else {
    html += '<p class="muted">Click a service for where its requests go, and why.</p>';
  }
  return html + '</div></div>';
}

// ---- Pushes ----------------------------------------------------------------

function chart(title, values, unit) {
  const width = 460, height = 140, max = Math.max(1e-9, ...values);
  const points = values.map((v, i) => `${10 + i * (width - 20) / Math.max(1, values.length - 1)},${height - 10 - (v / max) * (height - 30)}`);
  const last = values.length ? values[values.length - 1] : 0;
  return `<div class="card"><div class="label">${escapeHtml(title)}: ${last.toFixed(2)} ${unit} (max ${max.toFixed(2)})</div>` +
      `<svg class="chart" width="${width}" height="${height}"><polyline points="${points.join(' ')}"/></svg></div>`;
}

async function renderPushes() {
  const metrics = parseMetrics((await fetchText('/metrics')).body);
  const sample = {
    at: Date.now() / 1000,
    pushes: sum(metrics, 'pilot_xds_pushes_total') || sum(metrics, 'pilot_xds_pushes'),
    pushTimeSum: sum(metrics, 'pilot_xds_push_time_sum'),
    pushTimeCount: sum(metrics, 'pilot_xds_push_time_count'),
    convergenceSum: sum(metrics, 'pilot_proxy_convergence_time_sum'),
    convergenceCount: sum(metrics, 'pilot_proxy_convergence_time_count'),
    nacks: sum(metrics, 'pilot_total_xds_rejects'),
  };
  state.history.push(sample);
  if (state.history.length > 120) state.history.shift();
  const rate = [], pushMs = [], convergenceMs = [], nacks = [];
  for (let i = 1; i < state.history.length; ++i) {
    const a = state.history[i - 1], b = state.history[i], dt = Math.max(1e-3, b.at - a.at);
    rate.push((b.pushes - a.pushes) / dt);
    const n = b.pushTimeCount - a.pushTimeCount;
    pushMs.push(n > 0 ? 1000 * (b.pushTimeSum - a.pushTimeSum) / n : 0);
    const c = b.convergenceCount - a.convergenceCount;
    convergenceMs.push(c > 0 ? 1000 * (b.convergenceSum - a.convergenceSum) / c : 0);
    nacks.push(b.nacks);
  }
  return '<h2>Pushes</h2><p class="muted">Sampled from /metrics each second while this page is open.</p>' +
      `<div class="cards">${card('pushes so far', sample.pushTimeCount)}` +
      card('mean push time', sample.pushTimeCount ? (1000 * sample.pushTimeSum / sample.pushTimeCount).toFixed(1) + ' ms' : '-') +
      card('mean convergence (push to ACK)', sample.convergenceCount ? (1000 * sample.convergenceSum / sample.convergenceCount).toFixed(1) + ' ms' : '-') +
      card('NACKs', sample.nacks, sample.nacks > 0 ? 'bad' : 'ok') + '</div><div class="cards">' +
      chart('pushes per second', rate, '/s') + chart('mean push time', pushMs, 'ms') +
      chart('mean convergence', convergenceMs, 'ms') + chart('NACKs (total)', nacks, '') + '</div>';
}

// ---- Certificates ------------------------------------------------------------

async function renderCertificates() {
  const [metricsText, index] = await Promise.all([fetchText('/metrics'), fetchText('/debug')]);
  const metrics = parseMetrics(metricsText.body);
  // Citadel's report: in this process (keel), or relayed by Pilot
  // (--citadel_debug_address).
  const certz = index.body.includes('/debug/citadel/certz') ? await fetchJson('/debug/citadel/certz') : null;
  const root = first(metrics, 'citadel_server_root_cert_expiry_timestamp') ||
      (certz && certz.roots ? { value: Math.min(...certz.roots.map((r) => r.notAfterUnix)) } : null);
  if (!root) {
    return '<h2>Certificates</h2><p class="muted">Citadel does not run in this process: its root, ' +
        'signing-certificate and workload certificates are on its own monitoring port ' +
        '(/debug/certz, and the citadel_server_* metrics); pilot --citadel_debug_address shows them here.</p>';
  }
  const chain = first(metrics, 'citadel_server_cert_chain_expiry_timestamp') ||
      (certz && certz.signing ? { value: certz.signing.notAfterUnix } : null);
  const roots = certz && certz.roots ? certz.roots.length : sum(metrics, 'citadel_server_trusted_roots');
  const issued = certz ? certz.issued : sum(metrics, 'citadel_server_success_cert_issuance_count');
  const now = Date.now() / 1000;
  const left = (m) => m ? duration(m.value - now) : '?';
  const cls = (m) => !m ? '' : m.value - now < 30 * 86400 ? 'bad' : 'ok';
  let html = '<h2>Certificates</h2><div class="cards">' +
      card('root expires in', left(root), cls(root)) + card('signing certificate expires in', left(chain), cls(chain)) +
      card('trusted roots', roots) + card('certificates issued', issued) + '</div>';
  // Citadel's own report: each workload's latest certificate and what
  // happened lately (issued, renewed, the CA reloaded or rotated).
  if (certz === null) return html;
  html += '<h3>Workload certificates</h3><table id="workload-certs"><tr><th>Identity</th><th>Expires in</th>' +
      '<th>Not after</th><th>Renewals</th><th>Last issued</th></tr>';
  for (const w of certz.workloads) {
    const remaining = w.notAfterUnix - now;
    const klass = remaining <= 0 ? 'bad' : remaining < 3600 ? 'warn' : 'ok';
    html += `<tr class="workload-cert" data-identity="${escapeHtml(w.identity)}"><td>${escapeHtml(w.identity)}</td>` +
        `<td class="${klass}">${remaining <= 0 ? 'expired' : escapeHtml(duration(remaining))}</td>` +
        `<td>${escapeHtml(w.notAfter)}</td><td>${w.renewals}</td><td>${escapeHtml(w.lastIssued)}</td></tr>`;
  }
  if (certz.workloads.length === 0) html += '<tr><td colspan="5" class="muted">none issued since Citadel started</td></tr>';
  html += '</table><h3>Recent events</h3><ul id="cert-events">';
  for (const e of certz.events) {
    html += `<li class="cert-event ${e.kind}">${escapeHtml(e.at)} <b>${escapeHtml(e.kind)}</b> ` +
        `${escapeHtml(e.identity)} ${escapeHtml(e.detail)}</li>`;
  }
  return html + '</ul>';
}

// ---- Wiring ----------------------------------------------------------------

const pages = {
  overview: renderOverview, config: renderConfig, proxies: renderProxies,
  traffic: renderTraffic, pushes: renderPushes, certificates: renderCertificates,
};

async function refresh() {
  const page = state.page;
  let html;
  try {
    html = await pages[page]();
    document.getElementById('status').textContent = 'updated ' + new Date().toLocaleTimeString();
  } catch (e) {
    document.getElementById('status').textContent = 'cannot reach the server: ' + e.message;
    return;
  }
  if (page !== state.page) return;  // the user moved on meanwhile
  const focused = document.activeElement && document.activeElement.id;
  document.getElementById('page').innerHTML = html;
  if (focused) {
    const again = document.getElementById(focused);
    if (again) again.focus();
  }
  state.refreshes += 1;
  document.body.dataset.refreshes = String(state.refreshes);
}

function show(page) {
  state.page = pages[page] ? page : 'overview';
  for (const a of document.querySelectorAll('header nav a')) a.classList.toggle('active', a.dataset.page === state.page);
  refresh();
}

document.addEventListener('change', (event) => {
  if (event.target.id === 'ns-filter') { state.proxyFilter = event.target.value; refresh(); }
  if (event.target.id === 'traffic-ns') { state.namespace = event.target.value; refresh(); }
});
document.addEventListener('click', (event) => {
  const sort = event.target.closest('th[data-sort]');
  if (sort) {
    const column = sort.dataset.sort;
    state.proxySort = { column, descending: state.proxySort.column === column && !state.proxySort.descending };
    refresh();
  }
  const config = event.target.closest('tr.config-row');
  if (config) {
    state.selectedConfig = { kind: config.dataset.kind, namespace: config.dataset.namespace, name: config.dataset.name };
    refresh();
  }
  const proxy = event.target.closest('tr.proxy-row');
  if (proxy) { state.selectedProxy = proxy.dataset.proxy; refresh(); }
  const service = event.target.closest('g.service');
  if (service) { state.selectedService = service.dataset.host; refresh(); }
});
window.addEventListener('hashchange', () => show(location.hash.slice(1)));
show(location.hash.slice(1) || 'overview');
setInterval(refresh, REFRESH_MS);
