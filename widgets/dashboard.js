// widgets/dashboard.js — the front end of databrewery_lab/widgets/dashboard.py (class Dashboard).
//
// Plain ESM, no imports: anywidget loads it as is, offline. The kernel computes every
// number and syncs it in traits (figures, breadcrumb, period, status, error, computed);
// this file draws them — key-figure cards, tables whose rows drill down, and small SVG
// charts drawn here (no plotting library) — and asks the kernel to move with request
// messages tagged with an id.
//
//   model-level store (initialize)  one per widget model: requests in flight, notices
//   view (render)                   header (breadcrumb, period, refresh), banner, body
//   renderers                       KPI_CARDS, CHART_RENDERERS (one per chart section)

/** Drill-down levels, top first. Twin: LEVELS in databrewery_lab/widgets/dashboard.py */
const LEVELS = ["all", "organization", "workspace", "project"];
/** Request kinds sent to the kernel. Twin: REQUEST_KINDS in dashboard.py */
const REQUEST = Object.freeze({ OPEN: "open", UP: "up", REFRESH: "refresh", PERIOD: "period" });
/** The message kind the kernel answers with. Twin: REPLY_KIND in dashboard.py */
const REPLY = "reply";

const REQUEST_TIMEOUT_MS = 120000;
const SVG_NS = "http://www.w3.org/2000/svg";
const TRAITS = ["location", "breadcrumb", "period", "status", "error", "computed"];
const LEVEL_NAMES = {
  all: "All organizations", organization: "Organization", workspace: "Workspace", project: "Project",
};
const SERIES_CLASSES = 6;

// ---------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------

/** Create an element: h("div", {class, testid, text, onclick, ...attrs}, ...children). */
function h(tag, attrs = {}, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

/** Create an SVG element the same way. */
function s(tag, attrs = {}, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

function fill(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key === "class") el.setAttribute("class", value);
    else if (key === "testid") el.dataset.testid = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

function slug(value) {
  return String(value).replace(/[^A-Za-z0-9_-]+/g, "_");
}

function isTyping(target) {
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable || target.tagName === "TEXTAREA" || target.tagName === "SELECT") return true;
  return target.tagName === "INPUT" && !["button", "checkbox", "radio", "submit", "reset"]
    .includes((target.type || "").toLowerCase());
}

function shorten(text, max) {
  const flat = String(text ?? "");
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

// -- number formats ----------------------------------------------------------------------
const INT = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const DEC = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const MONEY = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 4 });

function fmtInt(v) { return v == null ? "—" : INT.format(v); }
function fmtPct(v, digits = 0) { return v == null ? "—" : `${(v * 100).toFixed(digits)}%`; }
function fmtDec(v) { return v == null ? "—" : DEC.format(v); }
function fmtMoney(v) { return v == null ? "—" : MONEY.format(v); }
function fmtScore(v) { return v == null ? "—" : v.toFixed(3); }

function fmtDuration(seconds) {
  if (seconds == null) return "—";
  if (seconds < 90) return `${DEC.format(seconds)} s`;
  if (seconds < 90 * 60) return `${DEC.format(seconds / 60)} min`;
  return `${DEC.format(seconds / 3600)} h`;
}

function fmtDays(days) {
  if (days == null) return "—";
  if (days < 1) return `${DEC.format(days * 24)} h`;
  return `${DEC.format(days)} day${days >= 1 && days < 1.05 ? "" : "s"}`;
}

/** A YYYY-MM-DD (or ISO) date as text; `freq` picks the precision. Dates are UTC. */
function fmtDate(iso, freq = "day") {
  if (!iso) return "—";
  const when = new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
  if (Number.isNaN(when.getTime())) return String(iso);
  const options = freq === "month" ? { year: "numeric", month: "short", timeZone: "UTC" }
    : { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" };
  return when.toLocaleDateString(undefined, options);
}

function fmtShortDate(iso, freq) {
  const when = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(when.getTime())) return String(iso);
  if (freq === "month") return when.toLocaleDateString(undefined, { month: "short", year: "2-digit", timeZone: "UTC" });
  return when.toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
}

const FORMATS = { int: fmtInt, pct: fmtPct, text: (v) => v ?? "—", name: (v) => v ?? "—" };

/** Round tick values from 0 to at least `max` (about `count` steps; whole steps for counts). */
function niceTicks(max, count = 4, whole = false) {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((m) => m >= raw) || raw;
  if (whole) step = Math.max(1, Math.round(step));
  const ticks = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

// ---------------------------------------------------------------------------------------
// Charts: plain SVG, coloured by CSS classes (so they follow the theme)
// ---------------------------------------------------------------------------------------

function seriesClass(i) {
  return `dbl-dashboard-s${i % SERIES_CLASSES}`;
}

function legend(names) {
  if (names.length < 2) return null;
  return h("div", { class: "dbl-dashboard-legend" }, names.map((name, i) => h("span", { class: "dbl-dashboard-legend-item" },
    h("span", { class: `dbl-dashboard-swatch ${seriesClass(i)}` }), name)));
}

/** Vertical bars per category, series stacked. series: [{name, values}] */
function columnChart({ labels, series, format = fmtInt, freq = "day", label, testid, height = 190 }) {
  const W = 560;
  const H = height;
  const m = { l: 52, r: 10, t: 10, b: 30 };
  const n = labels.length;
  const totals = labels.map((_, i) => series.reduce((sum, sr) => sum + (Number(sr.values[i]) || 0), 0));
  const ticks = niceTicks(Math.max(0, ...totals), 4, format === fmtInt);
  const top = ticks[ticks.length - 1] || 1;
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const y = (v) => m.t + ph - (v / top) * ph;
  const band = pw / Math.max(n, 1);
  const bar = Math.max(1, Math.min(44, band * 0.78));
  const svg = s("svg", { class: "dbl-dashboard-svg", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label, testid });
  for (const tick of ticks) {
    svg.append(s("line", { class: "dbl-dashboard-grid", x1: m.l, x2: W - m.r, y1: y(tick), y2: y(tick) }),
      s("text", { class: "dbl-dashboard-axis", x: m.l - 6, y: y(tick) + 4, "text-anchor": "end" }, format(tick)));
  }
  const every = Math.max(1, Math.ceil(n / 8));
  labels.forEach((name, i) => {
    const x = m.l + band * i + (band - bar) / 2;
    let base = 0;
    series.forEach((sr, j) => {
      const value = Number(sr.values[i]) || 0;
      if (value > 0) {
        svg.append(s("rect", { class: `dbl-dashboard-bar ${seriesClass(j)}`, x, width: bar, y: y(base + value), height: Math.max(0.5, y(base) - y(base + value)) },
          s("title", {}, `${fmtDate(name, freq)} · ${sr.name}: ${format(value)}`)));
      }
      base += value;
    });
    if (i % every === 0) {
      svg.append(s("text", { class: "dbl-dashboard-axis", x: m.l + band * i + band / 2, y: H - m.b + 16, "text-anchor": "middle" }, fmtShortDate(name, freq)));
    }
  });
  svg.append(s("line", { class: "dbl-dashboard-baseline", x1: m.l, x2: W - m.r, y1: y(0), y2: y(0) }));
  return h("div", { class: "dbl-dashboard-figure" }, svg, legend(series.map((sr) => sr.name)));
}

/** Horizontal bars, one row each, series stacked. rows: [{label, values, text, title}] */
function barChart({ rows, names, label, testid, format = fmtInt }) {
  const W = 560;
  const rowH = 24;
  const labelW = 200;
  const valueW = 100;
  const H = rows.length * rowH + 6;
  const max = Math.max(0, ...rows.map((r) => r.values.reduce((a, b) => a + (Number(b) || 0), 0)));
  const scale = (W - labelW - valueW) / (max || 1);
  const svg = s("svg", { class: "dbl-dashboard-svg", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label, testid });
  rows.forEach((row, i) => {
    const top = 3 + i * rowH;
    svg.append(s("text", { class: "dbl-dashboard-bar-label", x: labelW - 8, y: top + rowH / 2 + 4, "text-anchor": "end" },
      shorten(row.label, 25), s("title", {}, row.label)));
    let x = labelW;
    row.values.forEach((value, j) => {
      const width = (Number(value) || 0) * scale;
      if (width > 0) {
        svg.append(s("rect", { class: `dbl-dashboard-bar ${seriesClass(j)}`, x, y: top + 4, width: Math.max(1, width), height: rowH - 8 },
          s("title", {}, `${row.label} · ${names[j] ?? ""}: ${format(value)}`)));
      }
      x += width;
    });
    svg.append(s("text", { class: "dbl-dashboard-bar-value", x: x + 6, y: top + rowH / 2 + 4 }, row.text ?? format(row.values[0])));
  });
  return h("div", { class: "dbl-dashboard-figure" }, svg, legend(names));
}

/** A 0..1 meter (negative agreement shows as an empty bar, the number says the rest). */
function meter(value, label) {
  const W = 200;
  const clamped = value == null ? 0 : Math.max(0, Math.min(1, value));
  return s("svg", { class: "dbl-dashboard-meter", viewBox: `0 0 ${W} 10`, role: "img", "aria-label": label },
    s("rect", { class: "dbl-dashboard-meter-track", x: 0, y: 0, width: W, height: 10, rx: 5 }),
    s("rect", { class: `dbl-dashboard-bar ${seriesClass(0)}`, x: 0, y: 0, width: W * clamped, height: 10, rx: 5 }));
}

// ---------------------------------------------------------------------------------------
// Key figures
// ---------------------------------------------------------------------------------------

const KPI_CARDS = [
  { key: "organizations", label: "Organizations", value: (k) => fmtInt(k.organizations) },
  { key: "workspaces", label: "Workspaces", value: (k) => fmtInt(k.workspaces) },
  { key: "projects", label: "Projects", value: (k) => fmtInt(k.projects), levels: ["all", "organization", "workspace"] },
  { key: "tasks", label: "Tasks", value: (k) => fmtInt(k.tasks), sub: (k) => `${fmtInt(k.queue)} in the queue` },
  { key: "progress", label: "Done", value: (k) => fmtPct(k.progress), meter: (k) => k.progress,
    sub: (k) => `${fmtInt(k.labeled_tasks)} of ${fmtInt(k.tasks)} tasks labeled` },
  { key: "annotations", label: "Annotations", value: (k) => fmtInt(k.annotations), sub: (k) => `${fmtInt(k.skipped)} skipped` },
  { key: "annotators", label: "Active annotators", value: (k) => fmtInt(k.annotators),
    hint: "People who submitted at least one annotation in the period" },
  { key: "skip_rate", label: "Skip rate", value: (k) => fmtPct(k.skip_rate, 1),
    sub: (k) => `${fmtInt(k.skipped)} of ${fmtInt((k.annotations ?? 0) + (k.skipped ?? 0))} answers` },
  { key: "median_lead_time_s", label: "Median lead time", value: (k) => fmtDuration(k.median_lead_time_s),
    sub: (k) => `p90 ${fmtDuration(k.p90_lead_time_s)} · per submitted annotation` },
  { key: "days_to_finish", label: "Time to finish", value: finishValue, sub: finishSub,
    hint: "Remaining annotations at the rate of the period (without one: of the last 7 days)" },
];

function finishValue(k) {
  if (k.remaining_annotations === 0) return "Done";
  return k.days_to_finish == null ? "Stalled" : fmtDays(k.days_to_finish);
}

function finishSub(k) {
  const left = `${fmtInt(k.remaining_annotations)} annotation${k.remaining_annotations === 1 ? "" : "s"} to go`;
  if (k.remaining_annotations === 0) return "nothing left to annotate";
  if (k.days_to_finish == null) {
    const since = k.rate_window_start ? fmtDate(k.rate_window_start) : "";
    return `${left}; none submitted since ${since}`;
  }
  return `${left} at ${fmtDec(k.annotations_per_day)}/day · ≈ ${fmtDate(k.expected_finish)}`;
}

// ---------------------------------------------------------------------------------------
// Chart sections: one renderer per CHARTS entry of dashboard.py
// ---------------------------------------------------------------------------------------

const FREQ_NAMES = { day: "per day", week: "per week", month: "per month" };

const CHART_RENDERERS = {
  over_time: {
    title: (c) => `Annotations ${FREQ_NAMES[c.freq] || ""}`,
    render(c) {
      if (!c.periods.length) return empty("No annotations in the period.");
      return columnChart({ labels: c.periods, freq: c.freq, testid: "dbl-dashboard-svg-over_time",
        label: `Annotations ${FREQ_NAMES[c.freq]}, ${c.periods.length} periods`,
        series: [{ name: "annotations", values: c.annotations }, { name: "skips", values: c.skips }] });
    },
  },
  throughput: {
    title: () => "Annotators",
    render(c) {
      if (!c.rows.length) return empty("Nobody annotated in the period.");
      return h("div", {},
        barChart({ names: ["annotations", "skips"], testid: "dbl-dashboard-svg-throughput",
          label: `Annotations per annotator, the ${c.rows.length} busiest`,
          rows: c.rows.map((r) => ({ label: r.annotator, values: [r.annotations, r.skips],
            text: `${fmtInt(r.annotations)} · ${fmtDuration(r.median_lead_time_s)}` })) }),
        h("div", { class: "dbl-dashboard-note", text: `${c.total > c.rows.length ? `The ${c.rows.length} busiest of ${fmtInt(c.total)} annotators. ` : ""}Value: annotations · median lead time.` }));
    },
  },
  labels: {
    title: () => "Label distribution",
    render(c) {
      if (!c.controls.length) return empty("The label config has no control with labels.");
      return h("div", { class: "dbl-dashboard-stack" }, c.controls.map((control) => h("div", { class: "dbl-dashboard-subsection" },
        h("div", { class: "dbl-dashboard-subtitle", text: `${control.control} (${control.tag}) · ${fmtInt(control.total)} given` }),
        control.labels.length ? barChart({ names: ["times given"], testid: `dbl-dashboard-svg-labels-${slug(control.control)}`,
          label: `Label distribution of ${control.control}`,
          rows: control.labels.map((l) => ({ label: l.in_config ? l.label : `${l.label} (not in config)`, values: [l.count],
            text: `${fmtInt(l.count)} · ${fmtPct(l.share)}` })) }) : empty("No labels given yet."),
        control.more ? h("div", { class: "dbl-dashboard-note", text: `${control.more} more labels not shown.` }) : null)));
    },
  },
  agreement: {
    title: () => "Agreement",
    render(c) {
      if (!c.applicable) return empty("No Choices, Rating or Number control: no agreement headline for this project.");
      return h("div", { class: "dbl-dashboard-stack" }, c.controls.map((control) => h("div", { class: "dbl-dashboard-subsection", testid: `dbl-dashboard-agreement-${slug(control.control)}` },
        h("div", { class: "dbl-dashboard-subtitle", text: `${control.control} (${control.tag})` }),
        control.ok ? control.metrics.map((metric) => h("div", { class: "dbl-dashboard-metric", "data-metric": metric.metric, "data-value": metric.value ?? "" },
          h("span", { class: "dbl-dashboard-metric-label", text: metric.label }),
          h("span", { class: "dbl-dashboard-metric-value", text: fmtScore(metric.value) }),
          meter(metric.value, `${metric.label} ${fmtScore(metric.value)}`),
          h("span", { class: "dbl-dashboard-note", text: metric.value == null
            ? "not defined: no task has two ratings that vary"
            : `${fmtInt(metric.n_items)} tasks with 2+ ratings · ${fmtInt(metric.n_annotators)} annotators` })))
          : unavailable(control.error))));
    },
  },
  billing: {
    title: () => "Billing",
    render(c) {
      const parts = [];
      parts.push(part("Embedding costs per month", c.embeddings, (e) => (e.months.length
        ? h("div", {}, columnChart({ labels: e.months, freq: "month", format: fmtMoney, testid: "dbl-dashboard-svg-embeddings",
          label: `Embedding costs per month, total ${fmtMoney(e.total_cost)}`,
          series: [{ name: "embedding cost", values: e.cost }] }),
        h("div", { class: "dbl-dashboard-note", text: `${fmtInt(e.total_count)} embeddings, ${fmtMoney(e.total_cost)} in total (the platform's billing currency).` }))
        : empty("No embeddings billed in the period."))));
      if (c.orders) {
        parts.push(part("Orders per month", c.orders, (o) => (o.currencies.length
          ? h("div", { class: "dbl-dashboard-stack" }, o.currencies.map((panel) => h("div", {},
            h("div", { class: "dbl-dashboard-subtitle", text: `${panel.currency}: ${fmtInt(panel.total_orders)} orders, ${fmtMoney(panel.total_cost)} ${panel.currency}` }),
            columnChart({ labels: panel.periods, freq: "month", format: fmtMoney, testid: `dbl-dashboard-svg-orders-${slug(panel.currency)}`,
              label: `Order costs per month in ${panel.currency}, by status`,
              series: panel.statuses.map((status) => ({ name: status, values: panel.cost[status] })) }))),
          o.more ? h("div", { class: "dbl-dashboard-note", text: `${o.more} more currencies not shown.` }) : null)
          : empty("No orders in the period."))));
      }
      return h("div", { class: "dbl-dashboard-stack" }, parts);
    },
  },
  workforce: {
    title: () => "Workforce",
    render(c) {
      return h("div", { class: "dbl-dashboard-stack" },
        part("Members by role", c.members, (m) => h("div", {},
          barChart({ names: ["members"], testid: "dbl-dashboard-svg-members", label: `Members by role, ${m.members} in total`,
            rows: m.roles.map((r) => ({ label: r.role, values: [r.members] })) }),
          h("div", { class: "dbl-dashboard-note", text: `${fmtInt(m.members)} members${m.former_members ? `, ${fmtInt(m.former_members)} former` : ""}.` }))),
        part("Last activity", c.activity, (a) => barChart({ names: ["members"], testid: "dbl-dashboard-svg-activity",
          label: "Members by last activity", rows: a.windows.map((w) => ({ label: w.window, values: [w.members] })) })),
        part("Invitations", c.invitations, (inv) => (inv.statuses.length
          ? barChart({ names: ["invitations"], testid: "dbl-dashboard-svg-invitations", label: `Invitations by status, ${inv.total} in total`,
            rows: inv.statuses.map((st) => ({ label: st.status, values: [st.invitations], text: `${fmtInt(st.invitations)} · ${fmtInt(st.uses)} used` })) })
          : empty("No invitations in the period."))));
    },
  },
};

function empty(text) {
  return h("div", { class: "dbl-dashboard-empty", text });
}

function unavailable(error) {
  return h("div", { class: "dbl-dashboard-unavailable", testid: "dbl-dashboard-unavailable", role: "note" },
    h("strong", { text: "Not available here: " }), error || "unknown reason");
}

/** A titled piece of a section that may have failed on its own ({ok, error, ...}). */
function part(title, data, render) {
  return h("div", { class: "dbl-dashboard-subsection" },
    h("div", { class: "dbl-dashboard-subtitle", text: title }),
    !data ? null : data.ok ? render(data) : unavailable(data.error));
}

// ---------------------------------------------------------------------------------------
// The store: one per model, shared by its views
// ---------------------------------------------------------------------------------------

class DashboardStore {
  constructor(model) {
    this.model = model;
    this.views = new Set();
    this.requests = new Map(); // request_id -> timer
    this.seq = 0;
    this.pending = null; // {id, kind, text} of the move in flight
    this.notice = null; // a browser-side problem (no answer from the kernel)
    this.dismissed = null; // the kernel error the user closed
    this.onCustom = (msg) => this.onMessage(msg);
    this.onTrait = () => this.emit("state");
    this.onFigures = () => this.emit("figures");
    model.on("msg:custom", this.onCustom);
    for (const name of TRAITS) model.on(`change:${name}`, this.onTrait);
    model.on("change:figures", this.onFigures);
  }

  dispose() {
    this.model.off("msg:custom", this.onCustom);
    for (const name of TRAITS) this.model.off(`change:${name}`, this.onTrait);
    this.model.off("change:figures", this.onFigures);
    for (const timer of this.requests.values()) clearTimeout(timer);
    this.requests.clear();
    this.views.clear();
  }

  emit(reason) {
    for (const view of this.views) view.update(reason);
  }

  get busy() {
    return Boolean(this.pending) || this.model.get("status") === "loading";
  }

  request(kind, payload, text) {
    this.seq += 1;
    const id = `dash-${Date.now().toString(36)}-${this.seq}`;
    this.requests.set(id, setTimeout(() => this.timeout(id), REQUEST_TIMEOUT_MS));
    this.pending = { id, kind, text };
    this.notice = null;
    this.model.send({ ...payload, kind, request_id: id });
    this.emit("pending");
  }

  onMessage(msg) {
    if (!msg || msg.kind !== REPLY) return;
    const timer = this.requests.get(msg.request_id);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.requests.delete(msg.request_id);
    if (this.pending?.id === msg.request_id) this.pending = null;
    if (!msg.ok && !this.model.get("error")) this.notice = msg.error || "The kernel could not do that.";
    this.emit("reply");
  }

  timeout(id) {
    this.requests.delete(id);
    if (this.pending?.id === id) this.pending = null;
    this.notice = "The kernel did not answer within 2 minutes: it may be busy running another cell, or stopped. Try again once it is idle.";
    this.emit("timeout");
  }
}

// ---------------------------------------------------------------------------------------
// The view
// ---------------------------------------------------------------------------------------

class DashboardView {
  constructor(store, el) {
    this.store = store;
    this.el = el;
    this.focusAfterRender = false;
    this.build();
    el.append(this.root);
    store.views.add(this);
    this.update("figures");
  }

  destroy() {
    this.store.views.delete(this);
    this.root.remove();
  }

  build() {
    const store = this.store;
    this.crumbs = h("ol", { class: "dbl-dashboard-crumbs" });
    this.since = h("input", { type: "date", class: "dbl-dashboard-date", testid: "dbl-dashboard-since", "aria-label": "Period from (first day)" });
    this.until = h("input", { type: "date", class: "dbl-dashboard-date", testid: "dbl-dashboard-until", "aria-label": "Period to (last day, included)" });
    const period = h("form", { class: "dbl-dashboard-period", "aria-label": "Period",
      onsubmit: (event) => { event.preventDefault(); this.applyPeriod(this.since.value, this.until.value); } },
    h("span", { class: "dbl-dashboard-muted", text: "Period" }), this.since, h("span", { "aria-hidden": "true", text: "–" }), this.until,
    h("button", { type: "submit", class: "dbl-dashboard-button", testid: "dbl-dashboard-apply", text: "Apply" }),
    h("button", { type: "button", class: "dbl-dashboard-button dbl-dashboard-button--quiet", testid: "dbl-dashboard-all-time", text: "All time",
      onclick: () => this.applyPeriod("", "") }));
    this.refreshButton = h("button", { type: "button", class: "dbl-dashboard-button", testid: "dbl-dashboard-refresh",
      title: "Compute again from the live database", onclick: () => this.move(REQUEST.REFRESH, {}, "Refreshing…") }, "↻ Refresh");
    this.statusEl = h("span", { class: "dbl-dashboard-status", testid: "dbl-dashboard-status", role: "status", "aria-live": "polite" });
    this.bannerText = h("span", { class: "dbl-dashboard-banner-text" });
    this.banner = h("div", { class: "dbl-dashboard-banner", testid: "dbl-dashboard-error", role: "alert", hidden: true },
      this.bannerText,
      h("button", { type: "button", class: "dbl-dashboard-icon-button", title: "Dismiss", "aria-label": "Dismiss", text: "✕",
        onclick: () => { store.dismissed = store.model.get("error") || null; store.notice = null; this.update("state"); } }));
    this.body = h("div", { class: "dbl-dashboard-body" });
    this.root = h("div", { class: "dbl-dashboard", testid: "dbl-dashboard", role: "region", "aria-label": "Manager dashboard",
      onkeydown: (event) => this.keydown(event) },
    h("div", { class: "dbl-dashboard-header" },
      h("nav", { class: "dbl-dashboard-nav", "aria-label": "Breadcrumb" }, this.crumbs),
      h("div", { class: "dbl-dashboard-tools" }, period, this.refreshButton, this.statusEl)),
    this.banner, this.body);
  }

  // -- actions ---------------------------------------------------------------------------
  move(kind, payload, text) {
    if (this.store.pending) return; // one move at a time: the kernel answers in order anyway
    this.focusAfterRender = this.root.contains(document.activeElement);
    this.store.request(kind, payload, text);
  }

  open(level, id, title) {
    if (!LEVELS.includes(level)) return;
    this.move(REQUEST.OPEN, { level, id }, `Opening ${title}…`);
  }

  up() {
    if ((this.store.model.get("breadcrumb") || []).length > 1) this.move(REQUEST.UP, {}, "Going up…");
  }

  applyPeriod(since, until) {
    this.move(REQUEST.PERIOD, { since: since || null, until: until || null }, "Computing the period…");
  }

  // -- rendering -------------------------------------------------------------------------
  update(reason) {
    const store = this.store;
    const model = store.model;
    const busy = store.busy;
    const status = store.pending ? "loading" : model.get("status");
    const location = model.get("location") || {};
    const root = this.root;
    root.dataset.status = status;
    root.dataset.level = location.level || "";
    const here = (model.get("breadcrumb") || []).at(-1) || {};
    root.dataset.locationId = here.id == null ? "" : String(here.id);
    root.dataset.error = model.get("error") || "";
    root.setAttribute("aria-busy", String(busy));
    root.classList.toggle("dbl-dashboard--busy", busy);
    this.renderCrumbs();
    for (const button of root.querySelectorAll(".dbl-dashboard-header button")) button.disabled = busy;

    const computed = model.get("computed") || {};
    this.statusEl.className = `dbl-dashboard-status dbl-dashboard-status--${status}`;
    this.statusEl.textContent = busy ? (store.pending?.text || "Computing…")
      : status === "error" ? "Error"
        : computed.seconds != null ? `Computed in ${DEC.format(computed.seconds)} s` : "";
    this.statusEl.title = computed.at ? `Last computed ${new Date(computed.at).toLocaleString()}` : "";

    this.renderPeriod(reason);
    this.renderBanner();
    if (reason === "figures") this.renderBody();
  }

  renderCrumbs() {
    const crumbs = this.store.model.get("breadcrumb") || [];
    const key = JSON.stringify(crumbs);
    if (key === this.crumbKey) return;
    this.crumbKey = key;
    this.crumbs.replaceChildren(...crumbs.map((place, i) => {
      const current = i === crumbs.length - 1;
      const text = place.title || LEVEL_NAMES[place.level];
      return h("li", { class: "dbl-dashboard-crumb" },
        current ? h("span", { class: "dbl-dashboard-crumb-current", "aria-current": "page", testid: `dbl-dashboard-crumb-${place.level}`, text })
          : h("button", { type: "button", class: "dbl-dashboard-crumb-button", testid: `dbl-dashboard-crumb-${place.level}`,
            title: `Back to ${LEVEL_NAMES[place.level].toLowerCase()} ${place.level === "all" ? "" : text}`.trim(), text,
            onclick: () => this.open(place.level, place.id, text) }));
    }));
  }

  renderPeriod(reason) {
    const period = this.store.model.get("period") || {};
    const key = JSON.stringify([period.since, period.until]);
    if (key === this.periodKey && reason !== "figures") return;
    this.periodKey = key;
    this.since.value = (period.since || "").slice(0, 10);
    this.until.value = (period.until || "").slice(0, 10);
    this.root.dataset.period = period.label || "";
  }

  renderBanner() {
    const store = this.store;
    const kernelError = store.model.get("error") || "";
    if (!kernelError) store.dismissed = null;
    const message = store.notice || (kernelError && kernelError !== store.dismissed ? kernelError : "");
    this.banner.hidden = !message;
    this.bannerText.textContent = message;
  }

  renderBody() {
    const figures = this.store.model.get("figures") || {};
    if (!figures.level) {
      this.body.replaceChildren(h("div", { class: "dbl-dashboard-empty", text: "Computing…" }));
      return;
    }
    const period = figures.period?.label || "all time";
    this.heading = h("h2", { class: "dbl-dashboard-title", tabindex: "-1", testid: "dbl-dashboard-title" },
      h("span", { class: "dbl-dashboard-level", text: LEVEL_NAMES[figures.level] }),
      h("span", { text: figures.level === "all" ? "Every project of the database" : figures.title }));
    this.body.replaceChildren(
      h("div", { class: "dbl-dashboard-titlebar" }, this.heading,
        h("span", { class: "dbl-dashboard-muted", text: `Activity counted: ${period}` })),
      this.renderKpis(figures),
      ...(figures.tables || []).map((table) => this.renderTable(table)),
      h("div", { class: "dbl-dashboard-charts" }, Object.entries(figures.charts || {}).map(([name, chart]) => this.renderChart(name, chart))),
    );
    if (this.focusAfterRender) {
      this.focusAfterRender = false;
      this.heading.focus({ preventScroll: false });
    }
  }

  renderKpis(figures) {
    const key = figures.key || {};
    const notes = figures.notes || {};
    const cards = KPI_CARDS.filter((card) => (card.key in key || card.key in notes)
      && (!card.levels || card.levels.includes(figures.level)));
    return h("div", { class: "dbl-dashboard-kpis", role: "list" }, cards.map((card) => {
      const note = notes[card.key];
      const raw = key[card.key];
      return h("div", { class: "dbl-dashboard-kpi", role: "listitem", testid: `dbl-dashboard-kpi-${card.key}`,
        "data-value": note || raw == null ? "" : String(raw), title: note || card.hint || null },
      h("div", { class: "dbl-dashboard-kpi-label", text: card.label }),
      h("div", { class: "dbl-dashboard-kpi-value", text: note ? "n/a" : card.value(key) }),
      !note && card.meter ? meter(card.meter(key), `${card.label} ${card.value(key)}`) : null,
      h("div", { class: note ? "dbl-dashboard-kpi-sub dbl-dashboard-kpi-sub--error" : "dbl-dashboard-kpi-sub",
        text: note ? shorten(note, 140) : card.sub ? card.sub(key) : "" }));
    }));
  }

  renderTable(table) {
    const open = table.level;
    const head = h("tr", {}, table.columns.map((c) => h("th", { scope: "col", class: `dbl-dashboard-col--${c.format}`, text: c.label })));
    const rows = table.rows.map((row) => {
      const tr = h("tr", { class: "dbl-dashboard-row", testid: "dbl-dashboard-row", "data-level": open, "data-id": row.id,
        onclick: (event) => { if (!event.target.closest("button")) this.open(open, row.id, row.title); } },
      table.columns.map((c) => this.renderCell(c, row, open)));
      return tr;
    });
    const caption = table.truncated ? `${table.title} · showing ${fmtInt(table.rows.length)} of ${fmtInt(table.total)}`
      : `${table.title} (${fmtInt(table.total)})`;
    return h("section", { class: "dbl-dashboard-section", testid: `dbl-dashboard-table-${table.name}`, "aria-label": table.title },
      h("h3", { class: "dbl-dashboard-section-title", text: caption }),
      table.rows.length ? h("div", { class: "dbl-dashboard-table-wrap" },
        h("table", { class: "dbl-dashboard-table" }, h("thead", {}, head), h("tbody", {}, rows)))
        : empty(`No ${table.title.toLowerCase()} here.`));
  }

  renderCell(column, row, open) {
    const value = row[column.key];
    if (column.format === "name") {
      return h("th", { scope: "row", class: "dbl-dashboard-col--name" },
        h("button", { type: "button", class: "dbl-dashboard-open", testid: "dbl-dashboard-open",
          "aria-label": `Open ${LEVEL_NAMES[open].toLowerCase()} ${value}`, text: value,
          onclick: () => this.open(open, row.id, value) }));
    }
    if (column.format === "progress") {
      return h("td", { class: "dbl-dashboard-col--progress" }, h("span", { class: "dbl-dashboard-progress-cell" },
        h("span", { class: "dbl-dashboard-progress", title: `${fmtInt(row.labeled_tasks)} of ${fmtInt(row.tasks)} tasks labeled` },
          h("span", { class: "dbl-dashboard-progress-bar", style: `width:${Math.round((value || 0) * 100)}%` })),
        h("span", { class: "dbl-dashboard-progress-text", text: `${fmtInt(row.labeled_tasks)} / ${fmtInt(row.tasks)} (${fmtPct(value)})` })));
    }
    return h("td", { class: `dbl-dashboard-col--${column.format}`, text: (FORMATS[column.format] || FORMATS.text)(value) });
  }

  renderChart(name, chart) {
    const renderer = CHART_RENDERERS[name];
    const section = (title, ...content) => h("section", { class: "dbl-dashboard-card", testid: `dbl-dashboard-chart-${name}`, "aria-label": title },
      h("h3", { class: "dbl-dashboard-section-title", text: title }), ...content);
    if (!renderer) return section(name, unavailable(`this page has no renderer for "${name}"; update the package`));
    if (!chart.ok) return section(renderer.title({}), unavailable(chart.error));
    return section(renderer.title(chart), renderer.render(chart));
  }

  // -- keys ------------------------------------------------------------------------------
  keydown(event) {
    if (event.isComposing) return;
    const target = event.target;
    if (isTyping(target)) {
      // Date fields own their keys; keep them from JupyterLab's shortcuts all the same.
      if (!event.ctrlKey && !event.metaKey) event.stopPropagation();
      return;
    }
    const plain = !event.ctrlKey && !event.metaKey;
    if ((event.altKey && event.key === "ArrowUp") || (plain && !event.altKey && event.key === "Backspace")) {
      event.preventDefault();
      event.stopPropagation();
      this.up();
      return;
    }
    if (plain && !event.altKey && (event.key === "ArrowDown" || event.key === "ArrowUp")
      && target instanceof Element && target.classList.contains("dbl-dashboard-open")) {
      event.preventDefault();
      event.stopPropagation();
      const buttons = [...target.closest("tbody").querySelectorAll(".dbl-dashboard-open")];
      const next = buttons[buttons.indexOf(target) + (event.key === "ArrowDown" ? 1 : -1)];
      next?.focus();
      return;
    }
    // Enter and Space click the focused button; every other plain key stays here, so
    // JupyterLab's command mode does not act on a cell while the widget has focus.
    if (plain) event.stopPropagation();
  }
}

// ---------------------------------------------------------------------------------------
// anywidget entry points
// ---------------------------------------------------------------------------------------

const STORES = new WeakMap();

function storeOf(model) {
  let store = STORES.get(model);
  if (!store) {
    store = new DashboardStore(model);
    STORES.set(model, store);
  }
  return store;
}

export default {
  initialize({ model }) {
    storeOf(model);
    return () => {
      STORES.get(model)?.dispose();
      STORES.delete(model);
    };
  },
  render({ model, el }) {
    const view = new DashboardView(storeOf(model), el);
    return () => view.destroy();
  },
};
