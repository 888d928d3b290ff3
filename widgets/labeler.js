// widgets/labeler.js — the front end of databrewery_lab/widgets/labeler.py (class Labeler).
//
// Plain ESM, no imports: anywidget loads it as is, offline. The kernel owns every read and
// write; this file renders the task on screen, keeps the working result (Label Studio
// result JSON), and asks the kernel for things with request messages tagged with an id.
//
//   model-level store (initialize)  one per widget model: working result, undo, lead time,
//                                   autosave, requests; shared by all views of the model
//   view (render)                   header, banner, layout tree of renderers, side panel,
//                                   hint bar, keyboard
//   renderers                       registries: LAYOUT_RENDERERS, OBJECT_RENDERERS,
//                                   CONTROL_RENDERERS (one per label-config tag)

/** Request kinds sent to the kernel. Twin: REQUEST_KINDS in databrewery_lab/widgets/labeler.py */
const REQUEST = Object.freeze({
  NEXT: "next",
  PREV: "prev",
  OPEN: "open",
  SUBMIT: "submit",
  SKIP: "skip",
  DRAFT: "draft",
  MEDIA: "media",
});
/** The message kind the kernel answers with. Twin: REPLY_KIND in labeler.py */
const REPLY = "reply";
/** error_kind of a failed reply. Twin: ERROR_KINDS in labeler.py ("timeout" is browser-only). */
const ERROR_KIND = Object.freeze({
  REJECTED: "rejected",
  UNAVAILABLE: "unavailable",
  MEDIA: "media",
  CONNECTION: "connection",
  REQUEST: "request",
  INTERNAL: "internal",
  TIMEOUT: "timeout",
});

const AUTOSAVE_MS = 1000;
const NOTICE_MS = 5000;
const REQUEST_TIMEOUT_MS = 60000;
const UNDO_LIMIT = 200;
const MEDIA_CACHE = 6;
const REGION_TYPES = new Set(["labels", "rectanglelabels"]);
const LABEL_TYPES = new Set(["labels", "rectanglelabels"]);
const OPTION_TYPES = new Set(["choices", "labels", "rectanglelabels"]);
const PALETTE = [
  "#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b",
  "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac",
];
const DEFAULT_KEYS = "1234567890".split("");
const BACKUP_PREFIX = "dbl-labeler:v1:";

// ---------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------

/** Create an element: h("div", {class, testid, text, onclick, ...attrs}, ...children). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key === "class") el.className = value;
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

/** A value as a data-testid fragment. */
function slug(value) {
  return String(value).replace(/[^A-Za-z0-9_-]+/g, "_");
}

/** A Label Studio style region id: 10 random characters. */
function newId() {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
  const bytes = new Uint8Array(10);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => alphabet[b & 63]).join("");
}

function newUniqueId() {
  if (globalThis.crypto?.randomUUID) return globalThis.crypto.randomUUID();
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function resolvePath(data, path) {
  let value = data;
  for (const key of path || []) {
    if (value == null || typeof value !== "object") return undefined;
    value = value[key];
  }
  return value;
}

function clamp(value, low, high) {
  return Math.min(high, Math.max(low, value));
}

function round(value, digits = 4) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function clone(value) {
  return value == null ? value : JSON.parse(JSON.stringify(value));
}

function formatClock(seconds) {
  const s = Math.floor(seconds);
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return hh ? `${hh}:${String(mm).padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

function snippet(text, max = 48) {
  const flat = String(text ?? "").replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

// Text offsets: the kernel (Python) counts code points, the DOM counts UTF-16 units.
const SURROGATES = /[\uD800-\uDFFF]/;

function cpToU16(text, cp) {
  if (!SURROGATES.test(text)) return clamp(cp, 0, text.length);
  let i = 0;
  for (let n = 0; n < cp && i < text.length; n += 1) {
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
  }
  return i;
}

function u16ToCp(text, u16) {
  if (!SURROGATES.test(text)) return u16;
  let n = 0;
  for (let i = 0; i < u16 && i < text.length; n += 1) {
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
  }
  return n;
}

// Hotkeys: "ctrl+shift+a" style strings, modifiers in a fixed order.
const KEY_ALIASES = {
  arrowleft: "left", arrowright: "right", arrowup: "up", arrowdown: "down",
  " ": "space", spacebar: "space", esc: "escape", return: "enter", del: "delete",
  control: "ctrl", cmd: "meta", command: "meta", option: "alt", win: "meta", super: "meta",
};
const MODIFIERS = ["ctrl", "alt", "shift", "meta"];

function normalizeHotkey(text) {
  const raw = String(text).trim().toLowerCase();
  if (!raw) return null;
  const parts = raw === "+" ? ["+"] : raw.split("+").filter(Boolean);
  const mods = new Set();
  let key = null;
  for (const part of parts) {
    const name = KEY_ALIASES[part] ?? part;
    if (MODIFIERS.includes(name)) mods.add(name);
    else key = name;
  }
  if (!key) return null;
  return [...MODIFIERS.filter((m) => mods.has(m)), key].join("+");
}

function comboOf(event) {
  let key = event.key;
  if (!key || ["Control", "Shift", "Alt", "Meta", "AltGraph", "OS"].includes(key)) return null;
  const digit = /^(?:Digit|Numpad)(\d)$/.exec(event.code || "");
  const letter = /^Key([A-Z])$/.exec(event.code || "");
  if (digit) key = digit[1];
  else if (letter && (event.altKey || event.ctrlKey || event.metaKey)) key = letter[1];
  key = key.toLowerCase();
  key = KEY_ALIASES[key] ?? key;
  const mods = [];
  if (event.ctrlKey) mods.push("ctrl");
  if (event.altKey) mods.push("alt");
  if (event.shiftKey && (key.length > 1 || /[a-z0-9]/.test(key))) mods.push("shift");
  if (event.metaKey) mods.push("meta");
  return [...mods, key].join("+");
}

function prettyKey(combo) {
  const names = { ctrl: "Ctrl", alt: "Alt", shift: "Shift", meta: "⌘", left: "←", right: "→",
    up: "↑", down: "↓", enter: "Enter", space: "Space", escape: "Esc", delete: "Del",
    backspace: "⌫" };
  return String(combo).split("+").map((p) => names[p] ?? p.toUpperCase()).join("+");
}

function isTyping(target) {
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  if (target.tagName === "TEXTAREA" || target.tagName === "SELECT") return true;
  if (target.tagName !== "INPUT") return false;
  return !["button", "checkbox", "radio", "range", "color", "submit", "reset"].includes(
    (target.type || "").toLowerCase(),
  );
}

// The View tag's style attribute is the config author's own CSS: keep layout declarations.
const SAFE_STYLE_PROPERTY = new RegExp(
  "^(display|flex(-[a-z]+)?|gap|row-gap|column-gap|order|width|min-width|max-width|height|" +
    "min-height|max-height|margin(-[a-z]+)?|padding(-[a-z]+)?|align-[a-z]+|justify-[a-z]+|" +
    "place-[a-z]+|border(-[a-z]+)*|background(-color)?|color|font(-[a-z]+)?|text-align|" +
    "overflow(-[xy])?|box-sizing|grid(-[a-z]+)*|white-space|line-height|box-shadow|opacity)$",
);
const UNSAFE_STYLE_VALUE = /url\s*\(|expression|javascript:|@import|[<>{}\\]/i;

function applySafeStyle(el, style) {
  if (!style) return;
  for (const declaration of String(style).split(";")) {
    const colon = declaration.indexOf(":");
    if (colon < 0) continue;
    const property = declaration.slice(0, colon).trim().toLowerCase();
    const value = declaration.slice(colon + 1).trim();
    if (!value || !SAFE_STYLE_PROPERTY.test(property) || UNSAFE_STYLE_VALUE.test(value)) continue;
    el.style.setProperty(property, value.replace(/!important/i, "").trim());
  }
  // The widget's views stack (a column); an author's display:flex means a row, as in LS.
  if (/flex/.test(el.style.display) && !el.style.flexDirection) el.style.flexDirection = "row";
  if (el.style.display && el.style.display !== "flex" && el.style.display !== "inline-flex") {
    el.style.flexDirection = "";
  }
}

/** A colour from the config, or null: hex, rgb()/hsl() or a colour name, nothing else. */
function safeColor(value) {
  const text = String(value ?? "").trim();
  if (/^#[0-9a-f]{3,8}$/i.test(text) || /^[a-z]{3,30}$/i.test(text)) return text;
  if (/^(rgb|rgba|hsl|hsla)\([0-9.,%\s/+-]+\)$/i.test(text)) return text;
  return null;
}

function optionResultValue(option) {
  return option.alias || option.value;
}

function hasValue(item) {
  const v = item?.value ?? {};
  switch (item?.type) {
    case "choices": return Array.isArray(v.choices) && v.choices.length > 0;
    case "labels": return Array.isArray(v.labels) && v.labels.length > 0;
    case "rectanglelabels": return Array.isArray(v.rectanglelabels) && v.rectanglelabels.length > 0;
    case "textarea": return Array.isArray(v.text) && v.text.some((t) => String(t).trim());
    case "rating": return Number(v.rating) > 0;
    case "number": return Number.isFinite(Number(v.number)) && v.number !== null && v.number !== "";
    default: return Object.keys(v).length > 0;
  }
}

/** The geometry of a region, copied into per-region items the way Label Studio does. */
function regionGeometry(region) {
  const v = region.value || {};
  if (region.type === "labels") return { start: v.start, end: v.end, text: v.text };
  if (region.type === "rectanglelabels") {
    return { x: v.x, y: v.y, width: v.width, height: v.height, rotation: v.rotation ?? 0 };
  }
  return {};
}

function localStore() {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // sandboxed webviews refuse access
  }
}

// ---------------------------------------------------------------------------------------
// The store: one per model, shared by its views
// ---------------------------------------------------------------------------------------

class LabelStore {
  constructor(model) {
    this.model = model;
    this.views = new Set();
    this.pending = new Map();
    this.seq = 0;
    this.items = [];
    this.undoStack = [];
    this.redoStack = [];
    this.selectedRegion = null;
    this.activeLabels = new Map(); // control name -> Set of option values
    this.pendingText = new Map(); // `${control}|${regionId}` -> text typed, not yet added
    this.pendingSelection = null; // text selected before a label was chosen
    this.dirty = false;
    this.changeSeq = 0;
    this.task = null;
    this.uniqueId = null;
    this.parentPredictionId = null;
    this.lead = { base: 0, acc: 0, since: null };
    this.media = new Map();
    this.notice = null; // browser-side message: {level, text}
    this.dismissedError = null;
    this.busy = null; // "submit" | "skip" | "nav" while a request that moves on is out
    this.lastErrorKind = null; // error_kind of the last failed request
    this.draftInFlight = null;
    this.autosaveTimer = null;
    this.instructionOpen = true;
    this.helpOpen = false;
    this.spec = null;
    this.disposed = false;

    this.onTaskChange = () => this.loadTask();
    this.onSpecChange = () => { this.computeSpec(); this.emit("spec"); };
    this.onTraitChange = () => this.emit();
    this.onCustom = (msg, buffers) => this.onMessage(msg, buffers);
    this.onVisibility = () => this.trackVisibility();
    model.on("change:task", this.onTaskChange);
    model.on("change:spec", this.onSpecChange);
    for (const name of ["status", "error", "progress", "history", "last_saved", "current_task",
      "instruction", "project_info", "user"]) {
      model.on(`change:${name}`, this.onTraitChange);
    }
    model.on("msg:custom", this.onCustom);
    document.addEventListener("visibilitychange", this.onVisibility);
    this.computeSpec();
    this.loadTask();
  }

  dispose() {
    this.disposed = true;
    this.model.off("change:task", this.onTaskChange);
    this.model.off("change:spec", this.onSpecChange);
    for (const name of ["status", "error", "progress", "history", "last_saved", "current_task",
      "instruction", "project_info", "user"]) {
      this.model.off(`change:${name}`, this.onTraitChange);
    }
    this.model.off("msg:custom", this.onCustom);
    document.removeEventListener("visibilitychange", this.onVisibility);
    clearTimeout(this.autosaveTimer);
    clearTimeout(this.noticeTimer);
    for (const entry of this.pending.values()) clearTimeout(entry.timer);
    this.pending.clear();
    for (const media of this.media.values()) if (media.src) URL.revokeObjectURL(media.src);
    this.media.clear();
  }

  // -- spec ------------------------------------------------------------------------------
  computeSpec() {
    const spec = this.model.get("spec") || {};
    const controls = spec.controls || {};
    const objects = spec.objects || {};
    const hotkeys = new Map(); // combo -> {control, value}
    const keyOf = new Map(); // `${control}|${value ?? ""}` -> combo
    const colors = new Map(); // `${control}|${value}` -> colour
    const bind = (combo, control, value) => {
      if (!combo || hotkeys.has(combo)) return;
      hotkeys.set(combo, { control, value });
      const k = `${control}|${value ?? ""}`;
      if (!keyOf.has(k)) keyOf.set(k, combo);
    };
    for (const [key, target] of Object.entries(spec.hotkeys || {})) {
      if (Array.isArray(target) && controls[target[0]]) {
        bind(normalizeHotkey(key), target[0], target[1] ?? null);
      }
    }
    const order = this.controlOrder(spec);
    for (const name of order) {
      const control = controls[name];
      (control.options || []).forEach((option, i) => {
        colors.set(`${name}|${option.value}`, safeColor(option.background) || PALETTE[i % PALETTE.length]);
        if (option.hotkey) bind(normalizeHotkey(option.hotkey), name, option.value);
      });
      if (control.hotkey) bind(normalizeHotkey(control.hotkey), name, null);
    }
    // Options without a key get the free digits, in layout order.
    const free = DEFAULT_KEYS.filter((k) => !hotkeys.has(k));
    for (const name of order) {
      const control = controls[name];
      if (!OPTION_TYPES.has(control.type)) continue;
      for (const option of control.options || []) {
        if (keyOf.has(`${name}|${option.value}`) || !free.length) continue;
        bind(free.shift(), name, option.value);
      }
    }
    this.spec = { raw: spec, controls, objects, order, hotkeys, keyOf, colors };
  }

  controlOrder(spec) {
    const order = [];
    const walk = (nodes) => {
      for (const node of nodes || []) {
        if (node.kind === "control" && spec.controls?.[node.name]) order.push(node.name);
        if (node.children) walk(node.children);
      }
    };
    walk(spec.layout);
    for (const name of Object.keys(spec.controls || {})) if (!order.includes(name)) order.push(name);
    return order;
  }

  keyFor(control, value = null) {
    return this.spec.keyOf.get(`${control}|${value ?? ""}`) ?? null;
  }

  colorFor(control, value) {
    return this.spec.colors.get(`${control}|${value}`) || PALETTE[0];
  }

  /** The option a result value (alias or value) stands for. */
  optionOf(control, resultValue) {
    const options = this.spec.controls[control]?.options || [];
    return options.find((o) => optionResultValue(o) === resultValue)
      ?? options.find((o) => o.value === resultValue) ?? null;
  }

  colorOfRegion(region) {
    const labels = region.value?.[region.type] || [];
    const option = labels.length ? this.optionOf(region.from_name, labels[0]) : null;
    return option ? this.colorFor(region.from_name, option.value) : PALETTE[0];
  }

  // -- views -----------------------------------------------------------------------------
  emit(reason) {
    if (this.disposed) return;
    for (const view of this.views) view.update(reason);
  }

  get projectInfo() { return this.model.get("project_info") || {}; }
  get taskId() { return this.task ? this.task.id : null; }
  get readOnly() { return !this.task || Boolean(this.task.read_only); }
  get history() { return this.model.get("history") || []; }
  get inHistory() { return this.task != null && this.history.includes(this.task.id); }
  get submitted() { return Boolean(this.task?.annotation && !this.task.annotation.was_cancelled); }

  // -- task lifecycle ----------------------------------------------------------------------
  loadTask() {
    const task = this.model.get("task");
    clearTimeout(this.autosaveTimer);
    this.task = task && task.id != null ? task : null;
    this.undoStack = [];
    this.redoStack = [];
    this.selectedRegion = null;
    this.pendingText.clear();
    this.pendingSelection = null;
    this.dirty = false;
    this.notice = null;
    this.uniqueId = newUniqueId();
    this.parentPredictionId = null;
    let items = [];
    let base = 0;
    if (this.task) {
      const backup = this.readBackup(this.task.id);
      const { draft, annotation, predictions } = this.task;
      if (backup && !this.task.read_only) {
        items = backup.result;
        base = backup.lead_time || 0;
        this.dirty = true;
        this.notice = { level: "warn", text: "Restored changes that were not saved yet; they are saved with your next action." };
      } else if (draft) {
        items = draft.result || [];
        base = draft.lead_time || 0;
      } else if (annotation) {
        items = annotation.result || [];
        base = annotation.lead_time || 0;
      } else if (predictions?.length) {
        const prediction = predictions[0];
        items = (prediction.result || []).map((item) => ({ ...item, origin: "prediction" }));
        this.parentPredictionId = prediction.id;
      } else {
        items = this.defaultItems();
      }
      items = clone(items).filter((item) => item && typeof item === "object");
      for (const item of items) if (!item.id) item.id = newId();
      if (!this.parentPredictionId && predictions?.length
        && items.some((i) => String(i.origin || "").startsWith("prediction"))) {
        this.parentPredictionId = predictions[0].id;
      }
    }
    this.items = items;
    this.lead = { base: Number(base) || 0, acc: 0, since: this.visible() ? performance.now() : null };
    this.pruneMedia();
    if (this.dirty) this.scheduleAutosave();
    this.emit("task");
  }

  /** Choices marked selected="true" in the config, for a task nobody touched yet. */
  defaultItems() {
    const items = [];
    for (const name of this.spec.order) {
      const control = this.spec.controls[name];
      if (control.type !== "choices" || control.per_region) continue;
      const chosen = (control.options || []).filter((o) => o.selected).map(optionResultValue);
      if (chosen.length) {
        items.push({ id: newId(), from_name: name, to_name: control.to_name?.[0], type: "choices",
          value: { choices: control.choice === "multiple" ? chosen : chosen.slice(0, 1) },
          origin: "manual" });
      }
    }
    return items;
  }

  // -- lead time ---------------------------------------------------------------------------
  visible() {
    return document.visibilityState !== "hidden";
  }

  trackVisibility() {
    const now = performance.now();
    if (this.visible()) {
      if (this.lead.since == null) this.lead.since = now;
    } else if (this.lead.since != null) {
      this.lead.acc += (now - this.lead.since) / 1000;
      this.lead.since = null;
      if (this.dirty) this.saveDraft(); // the tab is going away: save now
    }
  }

  leadTime() {
    const running = this.lead.since == null ? 0 : (performance.now() - this.lead.since) / 1000;
    return Math.max(0.001, round(this.lead.base + this.lead.acc + running, 3));
  }

  // -- local backup (kept until the kernel has the draft) ----------------------------------
  backupKey(taskId) {
    const project = this.projectInfo.id ?? "?";
    const user = this.model.get("user")?.id ?? "?";
    return `${BACKUP_PREFIX}${project}:${user}:${taskId}`;
  }

  writeBackup() {
    const storage = localStore();
    if (!storage || this.taskId == null) return;
    try {
      storage.setItem(this.backupKey(this.taskId), JSON.stringify({
        result: this.buildResult(), lead_time: this.leadTime(), saved_at: Date.now(),
      }));
    } catch {
      // Storage full or refused: the working copy in memory still holds the change.
    }
  }

  readBackup(taskId) {
    const storage = localStore();
    if (!storage) return null;
    try {
      const parsed = JSON.parse(storage.getItem(this.backupKey(taskId)) || "null");
      return parsed && Array.isArray(parsed.result) ? parsed : null;
    } catch {
      return null;
    }
  }

  clearBackup(taskId) {
    try {
      localStore()?.removeItem(this.backupKey(taskId));
    } catch {
      // nothing kept, nothing to clear
    }
  }

  // -- the working result ------------------------------------------------------------------
  commit(items, { undoable = true } = {}) {
    if (this.readOnly) return;
    if (undoable) {
      this.undoStack.push(JSON.stringify(this.items));
      if (this.undoStack.length > UNDO_LIMIT) this.undoStack.shift();
      this.redoStack = [];
    }
    this.items = items;
    this.changed();
  }

  changed() {
    if (this.selectedRegion && !this.items.some((i) => i.id === this.selectedRegion && REGION_TYPES.has(i.type))) {
      this.selectedRegion = null;
    }
    this.dirty = true;
    this.changeSeq += 1;
    if (!this.notice?.sticky) this.notice = null; // a hint or a validation message is done
    this.writeBackup();
    this.scheduleAutosave();
    this.emit("result");
  }

  undo() {
    if (this.readOnly || !this.undoStack.length) return false;
    this.redoStack.push(JSON.stringify(this.items));
    this.items = JSON.parse(this.undoStack.pop());
    this.changed();
    return true;
  }

  redo() {
    if (this.readOnly || !this.redoStack.length) return false;
    this.undoStack.push(JSON.stringify(this.items));
    this.items = JSON.parse(this.redoStack.pop());
    this.changed();
    return true;
  }

  /** A changed copy of an item: a pre-annotation the user edits becomes "prediction-changed". */
  static touched(item) {
    const copy = clone(item);
    if (copy.origin === "prediction") copy.origin = "prediction-changed";
    return copy;
  }

  regions(objectName = null) {
    return this.items.filter((i) => REGION_TYPES.has(i.type)
      && (objectName == null || i.to_name === objectName));
  }

  region(id) {
    return this.items.find((i) => i.id === id && REGION_TYPES.has(i.type)) ?? null;
  }

  /** The region the per-region control `control` would describe now, if any. */
  targetRegion(control) {
    const region = this.region(this.selectedRegion);
    if (!region || !(control.to_name || []).includes(region.to_name)) return null;
    return region;
  }

  controlItem(name, regionId = null) {
    return this.items.find((i) => i.from_name === name && !REGION_TYPES.has(i.type)
      && (regionId == null || i.id === regionId)) ?? null;
  }

  /** Set (or with value=null remove) the item of a classification control. */
  setControlValue(name, value, region = null) {
    const control = this.spec.controls[name];
    if (!control || this.readOnly) return;
    const regionId = region ? region.id : null;
    const index = this.items.findIndex((i) => i.from_name === name && !REGION_TYPES.has(i.type)
      && (regionId == null || i.id === regionId));
    const items = this.items.slice();
    if (value == null) {
      if (index < 0) return;
      items.splice(index, 1);
    } else if (index >= 0) {
      const item = LabelStore.touched(items[index]);
      item.value = region ? { ...regionGeometry(region), ...value } : value;
      items[index] = item;
    } else {
      const item = {
        id: regionId ?? newId(),
        from_name: name,
        to_name: region ? region.to_name : control.to_name?.[0],
        type: control.type,
        value: region ? { ...regionGeometry(region), ...value } : value,
        origin: "manual",
      };
      if (region?.original_width != null) {
        item.original_width = region.original_width;
        item.original_height = region.original_height;
        item.image_rotation = region.image_rotation ?? 0;
      }
      items.push(item);
    }
    this.commit(items);
  }

  /** The region a per-region control would write to, or a notice and null. */
  regionForControl(control) {
    if (!control.per_region) return { region: null };
    const region = this.targetRegion(control);
    if (!region) {
      this.setNotice("info", `“${control.name}” describes a region: select one first (click it, or Alt+↑/↓).`);
      return null;
    }
    return { region };
  }

  /** Click: toggle. Hotkey (select=true): a single choice is set, never cleared, so a key
   * that matches the pre-annotation does not undo it. */
  toggleChoice(name, optionValue, { select = false } = {}) {
    const control = this.spec.controls[name];
    if (!control || this.readOnly) return;
    const target = this.regionForControl(control);
    if (!target) return;
    const option = (control.options || []).find((o) => o.value === optionValue);
    if (!option) return;
    const value = optionResultValue(option);
    const current = this.controlItem(name, target.region?.id)?.value?.choices || [];
    let next;
    if (control.choice === "multiple") {
      next = current.includes(value) ? current.filter((v) => v !== value) : [...current, value];
    } else {
      next = !select && current.length === 1 && current[0] === value ? [] : [value];
      if (select && current.length === 1 && current[0] === value) return;
    }
    this.setControlValue(name, next.length ? { choices: next } : null, target.region);
  }

  setRating(name, rating) {
    const control = this.spec.controls[name];
    if (!control || this.readOnly) return;
    const target = this.regionForControl(control);
    if (!target) return;
    const current = this.controlItem(name, target.region?.id)?.value?.rating;
    const next = current === rating ? null : rating;
    this.setControlValue(name, next ? { rating: next } : null, target.region);
  }

  setNumber(name, number) {
    const control = this.spec.controls[name];
    if (!control || this.readOnly) return;
    const target = this.regionForControl(control);
    if (!target) return;
    this.setControlValue(name, number == null ? null : { number }, target.region);
  }

  textEntries(name, regionId = null) {
    return this.controlItem(name, regionId)?.value?.text || [];
  }

  setTextEntries(name, entries, region = null) {
    this.setControlValue(name, entries.length ? { text: entries } : null, region);
  }

  setPendingText(name, regionId, text) {
    const key = `${name}|${regionId ?? ""}`;
    if ((this.pendingText.get(key) ?? "") === text) return;
    if (text) this.pendingText.set(key, text);
    else this.pendingText.delete(key);
    if (this.readOnly) return;
    this.dirty = true;
    this.changeSeq += 1;
    this.writeBackup();
    this.scheduleAutosave();
  }

  /** Pick (or drop) a label: relabels the selected region, labels a pending selection, or
   * arms the label for the next span/box. */
  toggleLabel(name, optionValue) {
    const control = this.spec.controls[name];
    if (!control) return;
    const option = (control.options || []).find((o) => o.value === optionValue);
    if (!option) return;
    const value = optionResultValue(option);
    const multiple = control.choice === "multiple";
    const region = this.region(this.selectedRegion);
    if (region && region.from_name === name && !this.readOnly) {
      const current = region.value?.[region.type] || [];
      let next = multiple
        ? (current.includes(value) ? current.filter((v) => v !== value) : [...current, value])
        : [value];
      if (!next.length) next = current;
      const items = this.items.map((i) => {
        if (i !== region) return i;
        const copy = LabelStore.touched(i);
        copy.value[copy.type] = next;
        return copy;
      });
      this.commit(items);
      return;
    }
    const pending = this.pendingSelection;
    if (pending && control.type === "labels" && (control.to_name || []).includes(pending.object)
      && !this.readOnly) {
      this.pendingSelection = null;
      globalThis.getSelection?.()?.removeAllRanges();
      this.addTextRegion(pending.object, pending.raw, pending.start, pending.end, name, [value]);
      return;
    }
    const active = new Set(this.activeLabels.get(name) || []);
    if (multiple) {
      if (active.has(optionValue)) active.delete(optionValue);
      else active.add(optionValue);
    } else if (active.has(optionValue)) active.clear();
    else { active.clear(); active.add(optionValue); }
    this.activeLabels.clear();
    if (active.size) this.activeLabels.set(name, active);
    this.emit("labels");
  }

  /** The armed labels for drawing on `objectName` with a control of `type`. */
  activeLabelFor(objectName, type) {
    for (const [name, values] of this.activeLabels) {
      const control = this.spec.controls[name];
      if (control?.type === type && (control.to_name || []).includes(objectName) && values.size) {
        return {
          control: name,
          labels: [...values].map((v) => {
            const option = (control.options || []).find((o) => o.value === v);
            return option ? optionResultValue(option) : v;
          }),
        };
      }
    }
    return null;
  }

  addTextRegion(objectName, raw, start16, end16, controlName, labels) {
    if (this.readOnly) return;
    const start = u16ToCp(raw, start16);
    const end = u16ToCp(raw, end16);
    const text = raw.slice(start16, end16);
    if (this.items.some((i) => i.type === "labels" && i.to_name === objectName
      && i.from_name === controlName && i.value?.start === start && i.value?.end === end
      && JSON.stringify(i.value.labels) === JSON.stringify(labels))) {
      this.setNotice("info", "That span already has this label.");
      return;
    }
    this.commit([...this.items, {
      id: newId(), from_name: controlName, to_name: objectName, type: "labels",
      value: { start, end, text, labels }, origin: "manual",
    }]);
  }

  addBox(objectName, rect, natural, controlName, labels) {
    if (this.readOnly) return null;
    const item = {
      id: newId(), from_name: controlName, to_name: objectName, type: "rectanglelabels",
      original_width: natural.width, original_height: natural.height, image_rotation: 0,
      value: { x: round(rect.x), y: round(rect.y), width: round(rect.width),
        height: round(rect.height), rotation: 0, rectanglelabels: labels },
      origin: "manual",
    };
    this.commit([...this.items, item]);
    return item.id;
  }

  /** Move or resize a box; per-region items that describe it follow. */
  updateBox(id, rect) {
    if (this.readOnly) return;
    const geometry = { x: round(rect.x), y: round(rect.y), width: round(rect.width),
      height: round(rect.height) };
    const items = this.items.map((i) => {
      if (i.id !== id) return i;
      const copy = LabelStore.touched(i);
      copy.value = { ...copy.value, ...geometry };
      return copy;
    });
    this.commit(items);
  }

  deleteRegion(id) {
    if (this.readOnly || !this.region(id)) return false;
    this.commit(this.items.filter((i) => i.id !== id));
    this.selectedRegion = null;
    this.emit("select");
    return true;
  }

  selectRegion(id) {
    const next = id && this.region(id) ? id : null;
    if (next === this.selectedRegion) return;
    this.selectedRegion = next;
    this.emit("select");
  }

  cycleRegion(step) {
    const regions = this.regions();
    if (!regions.length) return false;
    const i = regions.findIndex((r) => r.id === this.selectedRegion);
    const next = i < 0 ? (step > 0 ? 0 : regions.length - 1)
      : (i + step + regions.length) % regions.length;
    this.selectRegion(regions[next].id);
    return true;
  }

  nudgeSelectedBox(dx, dy, resize) {
    const region = this.region(this.selectedRegion);
    if (!region || region.type !== "rectanglelabels" || this.readOnly) return false;
    const v = region.value;
    let rect;
    if (resize) {
      rect = { x: v.x, y: v.y, width: clamp(v.width + dx, 0.5, 100 - v.x),
        height: clamp(v.height + dy, 0.5, 100 - v.y) };
    } else {
      rect = { x: clamp(v.x + dx, 0, 100 - v.width), y: clamp(v.y + dy, 0, 100 - v.height),
        width: v.width, height: v.height };
    }
    this.updateBox(region.id, rect);
    return true;
  }

  clearSelection() {
    const had = Boolean(this.selectedRegion || this.activeLabels.size || this.pendingSelection);
    this.selectedRegion = null;
    this.activeLabels.clear();
    this.pendingSelection = null;
    globalThis.getSelection?.()?.removeAllRanges();
    this.emit("select");
    return had;
  }

  /** The result to send: the working items plus text typed in a TextArea but not added. */
  buildResult() {
    const items = clone(this.items);
    for (const [key, text] of this.pendingText) {
      const trimmed = text.trim();
      if (!trimmed) continue;
      const [name, regionId] = key.split("|");
      const control = this.spec.controls[name];
      if (!control) continue;
      const region = regionId ? items.find((i) => i.id === regionId && REGION_TYPES.has(i.type)) : null;
      if (regionId && !region) continue;
      let item = items.find((i) => i.from_name === name && !REGION_TYPES.has(i.type)
        && (!regionId || i.id === regionId));
      if (!item) {
        item = { id: regionId || newId(), from_name: name,
          to_name: region ? region.to_name : control.to_name?.[0], type: "textarea",
          value: region ? { ...regionGeometry(region), text: [] } : { text: [] }, origin: "manual" };
        items.push(item);
      }
      item.value.text = [...(item.value.text || []), trimmed];
    }
    return items;
  }

  /** Why the result cannot be submitted yet, or null. */
  validate(result) {
    this.invalidControl = null;
    const problem = this.findProblem(result);
    return problem;
  }

  findProblem(result) {
    for (const name of this.spec.order) {
      const control = this.spec.controls[name];
      if (!control.required) continue;
      const keys = (control.options || []).map((o) => this.keyFor(name, o.value)).filter(Boolean);
      const hint = keys.length ? ` (keys ${prettyKey(keys[0])}–${prettyKey(keys[keys.length - 1])})` : "";
      this.invalidControl = name;
      if (LABEL_TYPES.has(control.type)) {
        if (!result.some((i) => i.from_name === name)) {
          return `“${name}” is required: add at least one region${hint}.`;
        }
      } else if (control.per_region) {
        for (const region of result.filter((i) => REGION_TYPES.has(i.type)
          && (control.to_name || []).includes(i.to_name))) {
          if (!result.some((i) => i.from_name === name && i.id === region.id && hasValue(i))) {
            const label = (region.value?.[region.type] || []).join(", ");
            this.selectedRegion = region.id; // show it, with the control enabled
            return `“${name}” is required for every region; the ${label} region has none.`;
          }
        }
      } else if (!result.some((i) => i.from_name === name && hasValue(i))) {
        return `“${name}” is required${hint}.`;
      }
      this.invalidControl = null;
    }
    for (const item of result) {
      const control = this.spec.controls[item.from_name];
      const max = Number(control?.max_submissions) || 0;
      if (item.type === "textarea" && max && (item.value?.text || []).length > max) {
        this.invalidControl = item.from_name;
        return `“${item.from_name}” takes at most ${max} entr${max === 1 ? "y" : "ies"}; remove one (✕) first.`;
      }
    }
    if (this.projectInfo.enable_empty_annotation === false && result.length === 0) {
      const skip = this.projectInfo.show_skip_button === false ? "" : ", or skip the task (Ctrl+Space)";
      return `This project does not accept empty annotations: label something${skip}.`;
    }
    return null;
  }

  /** A browser-side message; info notices (hints) fade after a few seconds. */
  setNotice(level, text, { sticky = false } = {}) {
    clearTimeout(this.noticeTimer);
    const notice = text ? { level, text, sticky } : null;
    this.notice = notice;
    if (notice && level === "info") {
      this.noticeTimer = setTimeout(() => {
        if (this.notice === notice) this.setNotice(null, null);
      }, NOTICE_MS);
    }
    this.emit("notice");
  }

  // -- kernel requests ---------------------------------------------------------------------
  request(kind, payload = {}) {
    const requestId = `${Date.now().toString(36)}-${(this.seq += 1)}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        resolve({ ok: false, error_kind: ERROR_KIND.TIMEOUT,
          error: "The kernel did not answer within a minute (busy running another cell, or "
            + "stopped?). Your work is kept in this browser; try again." });
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(requestId, { resolve, timer });
      this.model.send({ kind, request_id: requestId, ...payload });
    });
  }

  onMessage(msg, buffers) {
    if (!msg || msg.kind !== REPLY) return;
    const entry = this.pending.get(msg.request_id);
    if (!entry) return; // timed out earlier; the traits already tell the outcome
    this.pending.delete(msg.request_id);
    clearTimeout(entry.timer);
    entry.resolve({ ...msg, buffers: buffers || [] });
  }

  /** A failed reply: kernel errors arrive in the `error` trait, browser-only ones here. */
  failed(reply) {
    this.lastErrorKind = reply.error_kind || null;
    if (reply.error_kind === ERROR_KIND.TIMEOUT || !this.model.get("error")) {
      this.setNotice("error", reply.error || "The request failed.", { sticky: true });
    } else {
      this.dismissedError = null;
      this.emit("notice");
    }
  }

  scheduleAutosave() {
    clearTimeout(this.autosaveTimer);
    if (this.readOnly) return;
    this.autosaveTimer = setTimeout(() => this.saveDraft(), AUTOSAVE_MS);
  }

  async saveDraft() {
    clearTimeout(this.autosaveTimer);
    if (this.draftInFlight) await this.draftInFlight;
    if (!this.dirty || this.readOnly || this.busy || this.taskId == null) return { ok: true };
    const taskId = this.taskId;
    const seq = this.changeSeq;
    const run = (async () => {
      const reply = await this.request(REQUEST.DRAFT, {
        task_id: taskId, result: this.buildResult(), lead_time: this.leadTime(),
      });
      if (reply.ok && this.taskId === taskId && this.changeSeq === seq) {
        this.dirty = false;
        this.clearBackup(taskId);
      } else if (!reply.ok) {
        this.failed(reply);
      }
      this.emit("saved");
      return reply;
    })();
    this.draftInFlight = run;
    try {
      return await run;
    } finally {
      if (this.draftInFlight === run) this.draftInFlight = null;
    }
  }

  async submit() {
    if (this.busy || this.taskId == null) return;
    if (this.readOnly) {
      this.setNotice("info", "This task is read-only for you.");
      return;
    }
    const result = this.buildResult();
    const problem = this.validate(result);
    if (problem) {
      this.setNotice("error", problem);
      this.emit("invalid"); // views focus the control to fix, when it takes the keyboard
      return;
    }
    clearTimeout(this.autosaveTimer);
    if (this.draftInFlight) await this.draftInFlight;
    const taskId = this.taskId;
    this.busy = "submit";
    this.notice = null;
    this.emit("busy");
    const reply = await this.request(REQUEST.SUBMIT, {
      task_id: taskId, result, lead_time: this.leadTime(), unique_id: this.uniqueId,
      parent_prediction_id: this.parentPredictionId,
    });
    this.busy = null;
    if (reply.ok) {
      this.clearBackup(taskId);
      if (this.taskId === taskId) this.dirty = false;
    } else {
      if (this.taskId === taskId) this.writeBackup();
      this.failed(reply);
    }
    this.emit("busy");
  }

  async skip() {
    if (this.busy || this.taskId == null) return;
    if (this.projectInfo.show_skip_button === false) {
      this.setNotice("info", "This project does not allow skipping tasks.");
      return;
    }
    if (this.readOnly) {
      this.setNotice("info", "This task is read-only for you.");
      return;
    }
    clearTimeout(this.autosaveTimer);
    if (this.draftInFlight) await this.draftInFlight;
    const taskId = this.taskId;
    this.busy = "skip";
    this.notice = null;
    this.emit("busy");
    const reply = await this.request(REQUEST.SKIP, {
      task_id: taskId, lead_time: this.leadTime(), unique_id: this.uniqueId,
    });
    this.busy = null;
    if (reply.ok) this.clearBackup(taskId);
    else this.failed(reply);
    this.emit("busy");
  }

  canPrev() {
    const history = this.history;
    if (!history.length) return false;
    if (!this.task) return true;
    const i = history.indexOf(this.task.id);
    return i !== 0;
  }

  canNext() {
    if (!this.task) return true;
    if (this.model.get("status") === "error") return true;
    return this.inHistory;
  }

  /** prev / next / open: save the draft first, then ask the kernel to move. */
  async navigate(kind, payload = {}) {
    if (this.busy) return;
    if (kind === REQUEST.PREV && !this.canPrev()) {
      this.setNotice("info", this.history.length ? "This is the first task you did here." : "You have not labeled any task here yet.");
      return;
    }
    if (kind === REQUEST.NEXT && !this.canNext()) {
      this.setNotice("info", "This is your newest task: submit it (Ctrl+Enter) or skip it (Ctrl+Space).");
      return;
    }
    if (this.dirty) {
      const saved = await this.saveDraft();
      if (!saved.ok && [ERROR_KIND.CONNECTION, ERROR_KIND.TIMEOUT].includes(saved.error_kind)) {
        return; // stay: the change would be lost otherwise
      }
    }
    this.busy = "nav";
    this.emit("busy");
    const reply = await this.request(kind, payload);
    this.busy = null;
    if (!reply.ok) this.failed(reply);
    this.emit("busy");
  }

  // -- media -------------------------------------------------------------------------------
  mediaFor(url) {
    let entry = this.media.get(url);
    if (entry) {
      entry.used = performance.now();
      return entry;
    }
    entry = { status: "loading", src: null, error: null, used: performance.now() };
    this.media.set(url, entry);
    this.request(REQUEST.MEDIA, { url }).then((reply) => {
      if (this.disposed || this.media.get(url) !== entry) return;
      if (reply.ok && reply.buffers?.length) {
        const blob = new Blob([reply.buffers[0]], { type: reply.mime || "application/octet-stream" });
        entry.src = URL.createObjectURL(blob);
        entry.status = "ready";
      } else {
        entry.status = "error";
        entry.error = reply.error || "The kernel could not read this file.";
      }
      this.emit("media");
    });
    return entry;
  }

  pruneMedia() {
    if (this.media.size <= MEDIA_CACHE) return;
    const old = [...this.media.entries()].filter(([, e]) => e.status !== "loading")
      .sort((a, b) => a[1].used - b[1].used).slice(0, this.media.size - MEDIA_CACHE);
    for (const [url, entry] of old) {
      if (entry.src) URL.revokeObjectURL(entry.src);
      this.media.delete(url);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Renderers. Each returns {el, update(reason), destroy?()}; update is cheap when nothing
// it shows changed.
// ---------------------------------------------------------------------------------------

function keyBadge(combo) {
  return combo ? h("kbd", { class: "dbl-labeler-key", text: prettyKey(combo) }) : null;
}

function objectMissing(el, store, def) {
  const note = h("div", { class: "dbl-labeler-missing" });
  el.prepend(note);
  return (value) => {
    const missing = store.task && (value == null || value === "");
    note.hidden = !missing;
    if (missing) note.textContent = `This task has no “${(def.data_path || []).join(".")}” in its data.`;
  };
}

/** Text: spans highlighted in label colours; select text to create a labels region. */
function renderText(def, ctx) {
  const { store } = ctx;
  const body = h("div", {
    class: "dbl-labeler-text-body", testid: `dbl-labeler-text-${slug(def.name)}`,
    "data-object": def.name,
  });
  const el = h("div", { class: "dbl-labeler-object dbl-labeler-text" }, body);
  const showMissing = objectMissing(el, store, def);
  let raw = "";
  let key = null;
  const labelsTargetThis = Object.values(store.spec.controls)
    .some((c) => c.type === "labels" && (c.to_name || []).includes(def.name));

  function offsetIn(node, offset) {
    if (!body.contains(node)) {
      const position = body.compareDocumentPosition(node);
      return position & Node.DOCUMENT_POSITION_PRECEDING ? 0 : raw.length;
    }
    const range = document.createRange();
    range.selectNodeContents(body);
    range.setEnd(node, offset);
    return range.toString().length;
  }

  function onMouseUp() {
    if (!labelsTargetThis || store.readOnly) return;
    const selection = globalThis.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) {
      store.pendingSelection = null;
      return;
    }
    const range = selection.getRangeAt(0);
    if (!range.intersectsNode(body)) return;
    let start = offsetIn(range.startContainer, range.startOffset);
    let end = offsetIn(range.endContainer, range.endOffset);
    while (start < end && /\s/.test(raw[start])) start += 1;
    while (end > start && /\s/.test(raw[end - 1])) end -= 1;
    if (start > 0 && /[\uDC00-\uDFFF]/.test(raw[start])) start -= 1;
    if (end < raw.length && /[\uDC00-\uDFFF]/.test(raw[end])) end += 1;
    if (start >= end) return;
    const active = store.activeLabelFor(def.name, "labels");
    if (active) {
      selection.removeAllRanges();
      store.addTextRegion(def.name, raw, start, end, active.control, active.labels);
    } else {
      store.pendingSelection = { object: def.name, raw, start, end };
      store.setNotice("info", `Press a label key to label “${snippet(raw.slice(start, end), 40)}”.`);
    }
    ctx.focusRoot();
  }

  function onClick(event) {
    const selection = globalThis.getSelection();
    if (selection && !selection.isCollapsed) return;
    const span = event.target.closest?.(".dbl-labeler-span");
    if (!span) {
      store.selectRegion(null);
      return;
    }
    const ids = span.dataset.regions.split(" ");
    const id = ids.includes(store.selectedRegion) && ids.length > 1
      ? ids[(ids.indexOf(store.selectedRegion) + 1) % ids.length]
      : span.dataset.innermost;
    store.selectRegion(id === store.selectedRegion ? null : id);
    ctx.focusRoot();
  }

  body.addEventListener("mouseup", onMouseUp);
  body.addEventListener("click", onClick);

  function rebuild(regions) {
    const spans = [];
    for (const region of regions) {
      const v = region.value || {};
      const s = cpToU16(raw, Number(v.start));
      const e = cpToU16(raw, Number(v.end));
      if (!(s < e) || e > raw.length) continue;
      spans.push({ id: region.id, s, e, color: store.colorOfRegion(region),
        label: (v.labels || []).join(", "), prediction: String(region.origin || "").startsWith("prediction") });
    }
    const cuts = new Set([0, raw.length]);
    for (const span of spans) { cuts.add(span.s); cuts.add(span.e); }
    const points = [...cuts].sort((a, b) => a - b);
    const fragment = document.createDocumentFragment();
    for (let i = 0; i + 1 < points.length; i += 1) {
      const a = points[i];
      const b = points[i + 1];
      const piece = raw.slice(a, b);
      const covering = spans.filter((s) => s.s <= a && s.e >= b);
      if (!covering.length) {
        fragment.append(document.createTextNode(piece));
        continue;
      }
      const innermost = covering.reduce((x, y) => (y.e - y.s < x.e - x.s ? y : x));
      const span = h("span", { class: "dbl-labeler-span", testid: "dbl-labeler-span" });
      span.textContent = piece;
      span.style.setProperty("--dbl-c", innermost.color);
      span.dataset.regions = covering.map((c) => c.id).join(" ");
      span.dataset.innermost = innermost.id;
      if (covering.length > 1) span.classList.add("dbl-labeler-span--overlap");
      if (covering.some((c) => c.id === store.selectedRegion)) span.classList.add("dbl-labeler-span--selected");
      if (innermost.prediction) span.classList.add("dbl-labeler-span--prediction");
      const ending = covering.filter((c) => c.e === b);
      if (ending.length) span.dataset.label = ending.map((c) => c.label).join(" · ");
      fragment.append(span);
    }
    body.replaceChildren(fragment);
  }

  function update() {
    const value = store.task ? resolvePath(store.task.data, def.data_path) : undefined;
    raw = value == null ? "" : typeof value === "string" ? value : JSON.stringify(value, null, 2);
    showMissing(value);
    const regions = store.regions(def.name).filter((r) => r.type === "labels");
    const next = JSON.stringify([store.taskId, raw.length,
      regions.map((r) => [r.id, r.value?.start, r.value?.end, r.value?.labels, r.from_name, r.origin]),
      store.selectedRegion]);
    const armed = Boolean(store.activeLabelFor(def.name, "labels"));
    el.classList.toggle("dbl-labeler-text--armed", armed && !store.readOnly);
    if (next === key) return;
    key = next;
    rebuild(regions);
  }

  return { el, update };
}

/** HTML without scripts, frames, event handlers or remote resources: the sandbox and the
 * CSP would block them anyway, but blocked loads leave errors in the console and remote
 * URLs would tell a third party who looks at the task. */
function cleanHtml(html) {
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, "text/html");
  doc.querySelectorAll("script, iframe, frame, object, embed, link, meta, base, form").forEach((n) => n.remove());
  for (const el of doc.body.querySelectorAll("*")) {
    for (const attr of [...el.attributes]) {
      const name = attr.name.toLowerCase();
      const value = attr.value.trim().toLowerCase();
      const remote = ["src", "srcset", "href", "poster", "background", "action", "formaction", "xlink:href"].includes(name)
        && !value.startsWith("data:") && !value.startsWith("#");
      if (name.startsWith("on") || remote || (name === "style" && /url\s*\(/.test(value))) {
        el.removeAttribute(attr.name);
      }
    }
  }
  doc.querySelectorAll("style").forEach((n) => { if (/url\s*\(|@import/i.test(n.textContent)) n.remove(); });
  return doc.body.innerHTML;
}

/** A sandboxed iframe (no scripts, no same-origin) showing HTML, themed like the widget. */
function sandboxedHtml(html, className, testid, root) {
  const frame = h("iframe", {
    class: className, testid, sandbox: "", referrerpolicy: "no-referrer",
    title: "Content (sandboxed)",
  });
  let last = null;
  let raw = null;
  let content = "";
  let waiting = false;
  // Colours are read when shown (the root is detached at first render, and themes change).
  const render = (attempt = 0) => {
    if (root && !root.isConnected && attempt < 240) {
      if (!waiting) {
        waiting = true;
        requestAnimationFrame(() => { waiting = false; render(attempt + 1); });
      }
      return;
    }
    const style = root?.isConnected ? getComputedStyle(root) : null;
    const color = style?.color || "#1f2328";
    const background = style?.backgroundColor || "#ffffff";
    const font = (style?.fontFamily || "sans-serif").replace(/[<>]/g, "");
    const scheme = style?.colorScheme && style.colorScheme !== "normal" ? style.colorScheme : "light dark";
    const doc = "<!doctype html><html><head><meta charset=\"utf-8\">"
      + "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      + "style-src 'unsafe-inline'; img-src data:\">"
      + `<style>:root{color-scheme:${scheme}}html,body{margin:0;padding:6px 8px;color:${color};`
      + `background:${background};font-family:${font};font-size:13px;line-height:1.45}`
      + "a{color:inherit}body>:first-child{margin-top:0}body>:last-child{margin-bottom:0}"
      + `</style></head><body>${content}</body></html>`;
    if (doc === last) return;
    last = doc;
    frame.srcdoc = doc;
  };
  const set = (html) => {
    if (html !== raw) {
      raw = html;
      content = cleanHtml(html);
    }
    render(); // cheap when nothing changed; picks up a theme change
  };
  return { frame, set };
}

/** HyperText: display only, inside a sandboxed iframe. */
function renderHyperText(def, ctx) {
  const { store } = ctx;
  const el = h("div", { class: "dbl-labeler-object dbl-labeler-hypertext" });
  const showMissing = objectMissing(el, store, def);
  const { frame, set } = sandboxedHtml("", "dbl-labeler-hypertext-frame",
    `dbl-labeler-hypertext-${slug(def.name)}`, ctx.root);
  el.append(frame);
  return {
    el,
    update() {
      const value = store.task ? resolvePath(store.task.data, def.data_path) : undefined;
      showMissing(value);
      set(value == null ? "" : String(value));
    },
  };
}

/** Image: bytes from the kernel as a Blob URL; draw, move and resize boxes in percent. */
function renderImage(def, ctx) {
  const { store } = ctx;
  const name = slug(def.name);
  const img = h("img", { class: "dbl-labeler-img", draggable: "false", alt: def.name,
    testid: `dbl-labeler-img-${name}` });
  const overlay = h("div", { class: "dbl-labeler-image-overlay",
    testid: `dbl-labeler-image-overlay-${name}` });
  const stage = h("div", { class: "dbl-labeler-image-stage" }, img, overlay);
  const message = h("div", { class: "dbl-labeler-image-message", role: "status" });
  // Zoom: the stage grows inside a scroller; boxes stay in percent, so nothing else changes.
  let zoom = 1;
  const zoomLevel = h("span", { class: "dbl-labeler-zoom-level", testid: `dbl-labeler-zoom-${name}`, text: "100%" });
  const scroller = h("div", { class: "dbl-labeler-image-scroller" }, stage);
  const setZoom = (value) => {
    zoom = clamp(round(value, 3), 1, 8);
    stage.style.setProperty("--dbl-zoom", String(zoom));
    zoomLevel.textContent = `${Math.round(zoom * 100)}%`;
  };
  const zoomButton = (label, title, action) => h("button", { type: "button", class: "dbl-labeler-icon-button dbl-labeler-zoom-button",
    title, text: label, onclick: () => { action(); ctx.focusRoot(); } });
  const toolbar = h("div", { class: "dbl-labeler-image-toolbar" },
    zoomButton("−", "Zoom out (-)", () => setZoom(zoom / 1.25)), zoomLevel,
    zoomButton("+", "Zoom in (+, or Ctrl+wheel)", () => setZoom(zoom * 1.25)),
    zoomButton("Fit", "Fit the image (=)", () => setZoom(1)));
  scroller.addEventListener("wheel", (event) => {
    if (!event.ctrlKey && !event.metaKey) return;
    event.preventDefault();
    setZoom(zoom * (event.deltaY < 0 ? 1.25 : 0.8));
  }, { passive: false });
  ctx.zoomers.push((how) => setZoom(how === "in" ? zoom * 1.25 : how === "out" ? zoom / 1.25 : 1));
  const el = h("div", { class: "dbl-labeler-object dbl-labeler-image",
    testid: `dbl-labeler-image-${name}` }, message, toolbar, scroller);
  const boxes = new Map();
  let drag = null;
  let url = null;
  let key = null;

  const loaded = () => img.complete && img.naturalWidth > 0 && img.getAttribute("src");

  img.addEventListener("load", () => {
    el.dataset.loaded = "true";
    // The stage is as wide as the column allows, at most 70vh tall; boxes are in percent.
    stage.style.setProperty("--dbl-aspect", String(img.naturalWidth / img.naturalHeight));
    key = null;
    update();
  });
  img.addEventListener("error", () => {
    if (!img.getAttribute("src")) return;
    el.dataset.loaded = "false";
    message.textContent = "The image could not be decoded by the browser.";
    message.hidden = false;
  });

  function pointPct(event) {
    const r = overlay.getBoundingClientRect();
    return {
      x: clamp(((event.clientX - r.left) / r.width) * 100, 0, 100),
      y: clamp(((event.clientY - r.top) / r.height) * 100, 0, 100),
    };
  }

  function rectFrom(a, b) {
    return { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y),
      width: Math.abs(a.x - b.x), height: Math.abs(a.y - b.y) };
  }

  function place(box, rect) {
    box.style.left = `${rect.x}%`;
    box.style.top = `${rect.y}%`;
    box.style.width = `${rect.width}%`;
    box.style.height = `${rect.height}%`;
  }

  function dragRectOf(d, point) {
    const o = d.orig;
    if (d.mode === "draw") return rectFrom(d.start, point);
    if (d.mode === "move") {
      return { x: clamp(o.x + point.x - d.start.x, 0, 100 - o.width),
        y: clamp(o.y + point.y - d.start.y, 0, 100 - o.height), width: o.width, height: o.height };
    }
    const anchor = {
      x: d.corner.includes("w") ? o.x + o.width : o.x,
      y: d.corner.includes("n") ? o.y + o.height : o.y,
    };
    return rectFrom(anchor, point);
  }

  overlay.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 || !loaded()) return;
    ctx.focusRoot();
    const point = pointPct(event);
    const handle = event.target.closest(".dbl-labeler-box-handle");
    const boxEl = event.target.closest(".dbl-labeler-box");
    if (boxEl) {
      const region = store.region(boxEl.dataset.regionId);
      if (!region) return;
      store.selectRegion(region.id);
      if (store.readOnly) return;
      const v = region.value;
      drag = { mode: handle ? "resize" : "move", corner: handle?.dataset.corner, id: region.id,
        start: point, orig: { x: v.x, y: v.y, width: v.width, height: v.height }, el: boxes.get(region.id) };
    } else {
      store.selectRegion(null);
      if (store.readOnly) return;
      const active = store.activeLabelFor(def.name, "rectanglelabels");
      if (!active) {
        const control = Object.values(store.spec.controls)
          .find((c) => c.type === "rectanglelabels" && (c.to_name || []).includes(def.name));
        const first = control?.options?.[0];
        const keyHint = first ? store.keyFor(control.name, first.value) : null;
        store.setNotice("info", `Pick a box label first${keyHint ? ` (e.g. ${prettyKey(keyHint)} for ${first.value})` : ""}, then drag on the image.`);
        return;
      }
      const preview = h("div", { class: "dbl-labeler-box dbl-labeler-box--drawing",
        testid: "dbl-labeler-box-drawing" });
      preview.style.setProperty("--dbl-c", store.colorFor(active.control,
        store.optionOf(active.control, active.labels[0])?.value ?? active.labels[0]));
      place(preview, { x: point.x, y: point.y, width: 0, height: 0 });
      overlay.append(preview);
      drag = { mode: "draw", start: point, active, el: preview, orig: null };
    }
    overlay.setPointerCapture(event.pointerId);
    event.preventDefault();
  });

  overlay.addEventListener("pointermove", (event) => {
    if (!drag) return;
    drag.moved = true;
    drag.rect = dragRectOf(drag, pointPct(event));
    if (drag.el) place(drag.el, drag.rect);
  });

  overlay.addEventListener("pointerup", (event) => {
    if (!drag) return;
    const d = drag;
    drag = null;
    if (overlay.hasPointerCapture?.(event.pointerId)) overlay.releasePointerCapture(event.pointerId);
    if (d.moved) d.rect = dragRectOf(d, pointPct(event));
    if (d.mode === "draw") {
      d.el.remove();
      if (d.moved && d.rect.width >= 0.5 && d.rect.height >= 0.5) {
        store.addBox(def.name, d.rect, { width: img.naturalWidth, height: img.naturalHeight },
          d.active.control, d.active.labels);
      }
      return;
    }
    if (d.moved && d.rect.width >= 0.5 && d.rect.height >= 0.5) store.updateBox(d.id, d.rect);
    key = null;
    update();
  });
  const cancel = (event) => {
    if (!drag) return;
    const d = drag;
    drag = null;
    if (overlay.hasPointerCapture?.(event.pointerId)) overlay.releasePointerCapture(event.pointerId);
    if (d.mode === "draw") d.el.remove();
    key = null;
    update();
  };
  overlay.addEventListener("pointercancel", cancel);

  function renderBoxes() {
    const regions = store.regions(def.name).filter((r) => r.type === "rectanglelabels");
    const seen = new Set();
    for (const region of regions) {
      seen.add(region.id);
      let box = boxes.get(region.id);
      if (!box) {
        box = h("div", { class: "dbl-labeler-box", testid: "dbl-labeler-box" },
          h("span", { class: "dbl-labeler-box-label" }));
        box.dataset.regionId = region.id;
        boxes.set(region.id, box);
        overlay.append(box);
      }
      const v = region.value || {};
      place(box, { x: Number(v.x) || 0, y: Number(v.y) || 0, width: Number(v.width) || 0,
        height: Number(v.height) || 0 });
      box.style.setProperty("--dbl-c", store.colorOfRegion(region));
      box.firstChild.textContent = (v.rectanglelabels || []).join(", ");
      const selected = region.id === store.selectedRegion;
      box.classList.toggle("dbl-labeler-box--selected", selected);
      box.classList.toggle("dbl-labeler-box--prediction", String(region.origin || "").startsWith("prediction"));
      const handles = box.querySelectorAll(".dbl-labeler-box-handle");
      if (selected && !store.readOnly && !handles.length) {
        for (const corner of ["nw", "ne", "sw", "se"]) {
          const handle = h("span", { class: `dbl-labeler-box-handle dbl-labeler-box-handle--${corner}`,
            testid: `dbl-labeler-box-handle-${corner}` });
          handle.dataset.corner = corner;
          box.append(handle);
        }
      } else if ((!selected || store.readOnly) && handles.length) {
        for (const handle of handles) handle.remove();
      }
    }
    for (const [id, box] of boxes) {
      if (!seen.has(id)) {
        box.remove();
        boxes.delete(id);
      }
    }
  }

  function update() {
    const value = store.task ? resolvePath(store.task.data, def.data_path) : undefined;
    const nextUrl = typeof value === "string" && value ? value : null;
    if (nextUrl !== url) {
      url = nextUrl;
      img.removeAttribute("src");
      el.dataset.loaded = "false";
    }
    toolbar.hidden = !store.task || !url;
    if (!store.task) {
      message.hidden = true;
      stage.hidden = true;
      return;
    }
    if (!url) {
      message.textContent = `This task has no image at “${(def.data_path || []).join(".")}”.`;
      message.hidden = false;
      stage.hidden = true;
      return;
    }
    const media = store.mediaFor(url);
    if (media.status === "ready") {
      if (img.getAttribute("src") !== media.src) img.src = media.src;
      message.hidden = true;
      stage.hidden = false;
    } else {
      message.textContent = media.status === "error" ? media.error : "Loading image…";
      message.classList.toggle("dbl-labeler-image-message--error", media.status === "error");
      message.hidden = false;
      stage.hidden = media.status === "error";
    }
    const armed = Boolean(store.activeLabelFor(def.name, "rectanglelabels"));
    overlay.classList.toggle("dbl-labeler-image-overlay--armed", armed && !store.readOnly);
    if (drag) return;
    const next = JSON.stringify([store.taskId, store.selectedRegion, store.readOnly,
      store.regions(def.name).map((r) => [r.id, r.value, r.origin])]);
    if (next === key) return;
    key = next;
    renderBoxes();
  }

  return { el, update };
}

/** Wrap a control: a caption when it describes regions, and the required marker. */
function controlShell(def, kindClass, body, extra = {}) {
  const el = h("div", {
    class: `dbl-labeler-control ${kindClass}`, testid: `${kindClass}-${slug(def.name)}`,
    "data-control": def.name, ...extra,
  });
  if (def.per_region || def.required) {
    el.append(h("div", { class: "dbl-labeler-control-caption" },
      def.per_region ? h("span", { text: "For the selected region" }) : null,
      def.required ? h("span", { class: "dbl-labeler-required", title: "required", text: "required" }) : null));
  }
  el.append(body);
  return el;
}

/** Choices: buttons, radio-like (single) or toggles (multiple). */
function renderChoices(def, ctx) {
  const { store } = ctx;
  const single = def.choice !== "multiple";
  const buttons = (def.options || []).map((option) => {
    const button = h("button", {
      type: "button", class: "dbl-labeler-choice", role: single ? "radio" : "checkbox",
      testid: `dbl-labeler-choice-${slug(def.name)}-${slug(option.value)}`, title: option.hint || null,
      onclick: () => store.toggleChoice(def.name, option.value),
    }, safeColor(option.background) ? h("span", { class: "dbl-labeler-swatch" }) : null,
    h("span", { class: "dbl-labeler-choice-text", text: option.value }),
    keyBadge(store.keyFor(def.name, option.value)));
    if (safeColor(option.background)) button.style.setProperty("--dbl-c", safeColor(option.background));
    return { button, value: optionResultValue(option) };
  });
  const list = h("div", { class: `dbl-labeler-choice-list${def.show_inline ? " dbl-labeler-choice-list--inline" : ""}`,
    role: single ? "radiogroup" : "group", "aria-label": def.name }, buttons.map((b) => b.button));
  const el = controlShell(def, "dbl-labeler-choices", list);
  return {
    el,
    update() {
      const region = def.per_region ? store.targetRegion(def) : null;
      const disabled = store.readOnly || (def.per_region && !region);
      const chosen = disabled && def.per_region ? [] : store.controlItem(def.name, region?.id)?.value?.choices || [];
      el.classList.toggle("dbl-labeler-control--disabled", disabled);
      for (const { button, value } of buttons) {
        const on = chosen.includes(value);
        button.setAttribute("aria-checked", String(on));
        button.classList.toggle("dbl-labeler-choice--on", on);
        button.disabled = disabled;
      }
    },
  };
}

/** Labels / RectangleLabels: chips that arm a label (or relabel the selected region). */
function renderLabels(def, ctx) {
  const { store } = ctx;
  const chips = (def.options || []).map((option) => {
    const chip = h("button", {
      type: "button", class: "dbl-labeler-label", testid: `dbl-labeler-label-${slug(def.name)}-${slug(option.value)}`,
      title: option.hint || null, "aria-pressed": "false",
      onclick: () => { store.toggleLabel(def.name, option.value); ctx.focusRoot(); },
    }, h("span", { class: "dbl-labeler-swatch" }), h("span", { text: option.value }),
    keyBadge(store.keyFor(def.name, option.value)));
    chip.style.setProperty("--dbl-c", store.colorFor(def.name, option.value));
    return { chip, option, value: optionResultValue(option) };
  });
  const list = h("div", { class: "dbl-labeler-label-list", role: "toolbar", "aria-label": def.name },
    chips.map((c) => c.chip));
  const kind = def.type === "rectanglelabels" ? "dbl-labeler-rectanglelabels" : "dbl-labeler-labels";
  const el = controlShell(def, kind, list);
  return {
    el,
    update() {
      const active = store.activeLabels.get(def.name) || new Set();
      const region = store.region(store.selectedRegion);
      const regionLabels = region && region.from_name === def.name ? region.value?.[region.type] || [] : null;
      for (const { chip, option, value } of chips) {
        const on = active.has(option.value);
        chip.setAttribute("aria-pressed", String(on));
        chip.classList.toggle("dbl-labeler-label--active", on);
        chip.classList.toggle("dbl-labeler-label--region", Boolean(regionLabels?.includes(value)));
      }
    },
  };
}

/** TextArea: Enter adds an entry, Shift+Enter a new line; entries can be removed or edited. */
function renderTextArea(def, ctx) {
  const { store } = ctx;
  const entries = h("ul", { class: "dbl-labeler-textarea-entries", testid: `dbl-labeler-textarea-entries-${slug(def.name)}` });
  const input = h("textarea", {
    class: "dbl-labeler-textarea-input", rows: def.rows || 2, placeholder: def.placeholder || "Type, then Enter to add (Shift+Enter: new line)",
    testid: `dbl-labeler-textarea-input-${slug(def.name)}`, "aria-label": def.name,
  });
  const addButton = h("button", { type: "button", class: "dbl-labeler-button dbl-labeler-textarea-add", text: "Add" });
  const row = h("div", { class: "dbl-labeler-textarea-row" }, input, addButton);
  const el = controlShell(def, "dbl-labeler-textarea", h("div", {}, entries, row));
  const max = Number(def.max_submissions) || null;
  let key = null;
  let boundKey = null;

  const target = () => (def.per_region ? store.targetRegion(def) : null);
  const add = () => {
    const text = input.value.trim();
    if (!text) return;
    const region = target();
    if (def.per_region && !region) return;
    const current = store.textEntries(def.name, region?.id);
    if (max && current.length >= max) {
      store.setNotice("info", `“${def.name}” takes at most ${max} entr${max === 1 ? "y" : "ies"}.`);
      return;
    }
    input.value = "";
    store.pendingText.delete(`${def.name}|${region?.id ?? ""}`);
    store.setTextEntries(def.name, [...current, text], region);
    if (max && current.length + 1 >= max) ctx.focusRoot(true); // the box hides: keys go on
  };
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    event.preventDefault();
    if (!event.shiftKey) {
      add();
      return;
    }
    // Shift+Enter: a new line, inserted here (the notebook around us may claim the key).
    input.setRangeText("\n", input.selectionStart, input.selectionEnd, "end");
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
  input.addEventListener("input", () => {
    const region = target();
    store.setPendingText(def.name, region?.id, input.value);
  });
  addButton.addEventListener("click", () => { add(); input.focus(); });

  return {
    el,
    focus: () => input.focus(),
    update() {
      const region = target();
      const disabled = store.readOnly || (def.per_region && !region);
      el.classList.toggle("dbl-labeler-control--disabled", disabled);
      input.disabled = disabled;
      addButton.disabled = disabled;
      const list = disabled && def.per_region ? [] : store.textEntries(def.name, region?.id);
      const pendingKey = `${def.name}|${region?.id ?? ""}`;
      if (boundKey !== `${store.taskId}|${pendingKey}`) {
        boundKey = `${store.taskId}|${pendingKey}`;
        input.value = store.pendingText.get(pendingKey) ?? "";
      }
      row.hidden = Boolean(max && list.length >= max);
      const next = JSON.stringify([list, disabled, def.editable]);
      if (next === key) return;
      key = next;
      entries.replaceChildren(...list.map((text, i) => h("li", { class: "dbl-labeler-textarea-entry", testid: "dbl-labeler-textarea-entry" },
        h("span", { class: "dbl-labeler-textarea-text", text }),
        def.editable !== false && !disabled ? h("button", { type: "button", class: "dbl-labeler-icon-button", title: "Edit (moves the text back into the box)", text: "✎",
          onclick: () => {
            const rest = list.filter((_, j) => j !== i);
            input.value = input.value ? `${input.value}\n${text}` : text;
            store.setTextEntries(def.name, rest, target());
            store.setPendingText(def.name, target()?.id, input.value);
            input.focus();
          } }) : null,
        !disabled ? h("button", { type: "button", class: "dbl-labeler-icon-button", title: "Remove", text: "✕", "aria-label": `Remove entry ${i + 1}`,
          onclick: () => store.setTextEntries(def.name, list.filter((_, j) => j !== i), target()) }) : null)));
    },
  };
}

/** Rating: stars; click a star (again to clear), ←/→ when a star has focus. */
function renderRating(def, ctx) {
  const { store } = ctx;
  const max = Math.max(1, Math.min(20, Number(def.max_rating) || 5));
  const stars = [];
  for (let n = 1; n <= max; n += 1) {
    stars.push(h("button", { type: "button", class: "dbl-labeler-star", "aria-label": `${n} of ${max}`,
      testid: `dbl-labeler-star-${slug(def.name)}-${n}`, text: "★", onclick: () => store.setRating(def.name, n) }));
  }
  const list = h("div", { class: "dbl-labeler-star-list", role: "radiogroup", "aria-label": def.name }, stars);
  list.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const current = store.controlItem(def.name, def.per_region ? store.selectedRegion : null)?.value?.rating || 0;
    let next = null;
    if (event.key === "ArrowRight" || event.key === "ArrowUp") next = Math.min(max, current + 1);
    else if (event.key === "ArrowLeft" || event.key === "ArrowDown") next = Math.max(0, current - 1);
    if (next == null) return;
    event.preventDefault();
    if (next === 0) store.setControlValue(def.name, null, def.per_region ? store.targetRegion(def) : null);
    else if (next !== current) store.setRating(def.name, next);
    stars[Math.max(0, next - 1)].focus();
  });
  const el = controlShell(def, "dbl-labeler-rating", list);
  return {
    el,
    focus: () => stars[0].focus(),
    update() {
      const region = def.per_region ? store.targetRegion(def) : null;
      const disabled = store.readOnly || (def.per_region && !region);
      const rating = disabled && def.per_region ? 0 : store.controlItem(def.name, region?.id)?.value?.rating || 0;
      el.classList.toggle("dbl-labeler-control--disabled", disabled);
      el.dataset.rating = String(rating);
      stars.forEach((star, i) => {
        star.classList.toggle("dbl-labeler-star--on", i < rating);
        star.setAttribute("aria-checked", String(i + 1 === rating));
        star.disabled = disabled;
      });
    },
  };
}

/** Number: an input honouring min, max and step. */
function renderNumber(def, ctx) {
  const { store } = ctx;
  const input = h("input", { type: "number", class: "dbl-labeler-number-input", min: def.min ?? null,
    max: def.max ?? null, step: def.step ?? "any", testid: `dbl-labeler-number-input-${slug(def.name)}`,
    "aria-label": def.name, inputmode: "decimal" });
  const hint = h("span", { class: "dbl-labeler-number-hint" });
  const range = [def.min != null ? `≥ ${def.min}` : null, def.max != null ? `≤ ${def.max}` : null,
    def.step != null ? `step ${def.step}` : null].filter(Boolean).join(", ");
  hint.textContent = range;
  const el = controlShell(def, "dbl-labeler-number", h("div", { class: "dbl-labeler-number-row" }, input, hint));
  let shown = null;
  const check = () => {
    const text = input.value.trim();
    if (!text) return { ok: true, value: null };
    const value = Number(text);
    if (!Number.isFinite(value)) return { ok: false, why: "not a number" };
    if (def.min != null && value < def.min) return { ok: false, why: `below the minimum ${def.min}` };
    if (def.max != null && value > def.max) return { ok: false, why: `above the maximum ${def.max}` };
    if (def.step != null && def.step > 0) {
      const base = def.min ?? 0;
      const steps = (value - base) / def.step;
      if (Math.abs(steps - Math.round(steps)) > 1e-9) return { ok: false, why: `not a multiple of the step ${def.step}` };
    }
    return { ok: true, value };
  };
  const commitValue = () => {
    const verdict = check();
    input.classList.toggle("dbl-labeler-number-input--invalid", !verdict.ok);
    if (!verdict.ok) {
      store.setNotice("error", `“${def.name}”: ${input.value} is ${verdict.why}.`);
      return;
    }
    const region = def.per_region ? store.targetRegion(def) : null;
    const current = store.controlItem(def.name, region?.id)?.value?.number ?? null;
    if (current !== verdict.value) store.setNumber(def.name, verdict.value);
  };
  input.addEventListener("input", () => {
    const verdict = check();
    input.classList.toggle("dbl-labeler-number-input--invalid", !verdict.ok);
    if (verdict.ok) commitValue();
  });
  input.addEventListener("change", commitValue);
  return {
    el,
    focus: () => input.focus(),
    update() {
      const region = def.per_region ? store.targetRegion(def) : null;
      const disabled = store.readOnly || (def.per_region && !region);
      el.classList.toggle("dbl-labeler-control--disabled", disabled);
      input.disabled = disabled;
      const value = disabled && def.per_region ? null : store.controlItem(def.name, region?.id)?.value?.number ?? null;
      const focused = document.activeElement === input;
      const text = value == null ? "" : String(value);
      if (!focused && text !== shown) {
        input.value = text;
        input.classList.remove("dbl-labeler-number-input--invalid");
      }
      shown = focused ? shown : text;
    },
  };
}

/** Object renderers, one per object tag. */
const OBJECT_RENDERERS = { Text: renderText, HyperText: renderHyperText, Image: renderImage };
/** Control renderers, one per control tag. */
const CONTROL_RENDERERS = {
  Choices: renderChoices,
  Labels: renderLabels,
  RectangleLabels: renderLabels,
  TextArea: renderTextArea,
  Rating: renderRating,
  Number: renderNumber,
};

function unsupported(what) {
  return { el: h("div", { class: "dbl-labeler-missing", text: `Unsupported in this widget: ${what}` }), update() {} };
}

/** Layout nodes: View (a box with the author's style), Header, object, control. */
const LAYOUT_RENDERERS = {
  view(node, ctx) {
    const el = h("div", { class: "dbl-labeler-view" });
    applySafeStyle(el, node.style);
    const children = (node.children || []).map((child) => buildNode(child, ctx));
    el.append(...children.map((c) => c.el));
    return { el, update: (reason) => children.forEach((c) => c.update(reason)) };
  },
  header(node, ctx) {
    const level = clamp(Number.parseInt(node.size, 10) || 4, 1, 6);
    const el = h("div", { class: `dbl-labeler-heading dbl-labeler-heading--${level}`, role: "heading",
      "aria-level": level, testid: "dbl-labeler-heading" });
    return {
      el,
      update() {
        let text = node.text;
        if (node.data_path) {
          const value = ctx.store.task ? resolvePath(ctx.store.task.data, node.data_path) : "";
          text = value == null ? "" : String(value);
        }
        if (el.textContent !== (text ?? "")) el.textContent = text ?? "";
      },
    };
  },
  object(node, ctx) {
    const def = ctx.store.spec.objects[node.name];
    const render = def && OBJECT_RENDERERS[def.tag];
    return render ? render(def, ctx) : unsupported(def ? def.tag : node.name);
  },
  control(node, ctx) {
    const def = ctx.store.spec.controls[node.name];
    const render = def && CONTROL_RENDERERS[def.tag];
    if (!render) return unsupported(def ? def.tag : node.name);
    const renderer = render(def, ctx);
    ctx.controls.set(def.name, renderer);
    return renderer;
  },
};

function buildNode(node, ctx) {
  const render = LAYOUT_RENDERERS[node?.kind];
  return render ? render(node, ctx) : unsupported(String(node?.kind));
}

// ---------------------------------------------------------------------------------------
// The view: header, banner, instruction, layout, side panel, hint bar, keyboard
// ---------------------------------------------------------------------------------------

const STATUS_TEXT = {
  loading: "Loading…", ready: "Ready", saving: "Saving…", saved: "Draft saved",
  error: "Error", done: "All done",
};

class LabelerView {
  constructor(store, host) {
    this.store = store;
    this.host = host;
    this.root = h("div", { class: "dbl-labeler", tabindex: "0", testid: "dbl-labeler", role: "group" });
    this.ctx = { store, root: this.root, controls: new Map(), zoomers: [], focusRoot: (force) => this.focusRoot(force) };
    this.buildChrome();
    this.buildLayout();
    this.onKeyDown = (event) => this.keydown(event);
    this.onPointerDown = (event) => event.stopPropagation(); // keep the notebook from taking focus
    this.root.addEventListener("keydown", this.onKeyDown);
    this.root.addEventListener("mousedown", this.onPointerDown);
    host.append(this.root);
    store.views.add(this);
    this.update("all");
    this.clock = setInterval(() => this.tick(), 1000);
    requestAnimationFrame(() => {
      if (this.destroyed) return;
      this.update("attached"); // now in the page: sandboxed frames can take the theme colours
      if (document.activeElement === document.body || !document.activeElement) this.focusRoot();
    });
  }

  destroy() {
    this.destroyed = true;
    clearInterval(this.clock);
    this.store.views.delete(this);
    this.root.removeEventListener("keydown", this.onKeyDown);
    this.root.removeEventListener("mousedown", this.onPointerDown);
    this.root.remove();
  }

  /** Give the keyboard back to the widget; a text box keeps it unless `force`. */
  focusRoot(force = false) {
    const active = document.activeElement;
    if (force || !this.root.contains(active) || !isTyping(active)) {
      this.root.focus({ preventScroll: true });
    }
  }

  buildChrome() {
    const store = this.store;
    const button = (label, testid, onclick, extra = {}) => h("button", {
      type: "button", class: `dbl-labeler-button ${extra.class || ""}`.trim(), testid, title: extra.title || null,
      onclick: () => { onclick(); this.focusRoot(); },
    }, label, extra.key ? keyBadge(extra.key) : null);

    this.title = h("span", { class: "dbl-labeler-title", testid: "dbl-labeler-title" });
    this.userEl = h("span", { class: "dbl-labeler-user", testid: "dbl-labeler-user" });
    this.taskEl = h("span", { class: "dbl-labeler-task", testid: "dbl-labeler-task" });
    this.badges = h("span", { class: "dbl-labeler-badges" });
    this.progressText = h("span", { class: "dbl-labeler-progress-text", testid: "dbl-labeler-progress" });
    this.progressBar = h("span", { class: "dbl-labeler-progress-bar" });
    this.progressEl = h("span", { class: "dbl-labeler-progress" }, this.progressText,
      h("span", { class: "dbl-labeler-progress-track" }, this.progressBar));
    this.clockText = h("span", { class: "dbl-labeler-clock-text" });
    this.clockEl = h("span", { class: "dbl-labeler-clock", testid: "dbl-labeler-clock", title: "Time on this task (while the tab is visible): sent as lead_time" },
      h("span", { class: "dbl-labeler-clock-icon", "aria-hidden": "true" }), this.clockText);
    this.statusEl = h("span", { class: "dbl-labeler-status", testid: "dbl-labeler-status", role: "status" });
    this.prevButton = button("◀", "dbl-labeler-prev", () => store.navigate(REQUEST.PREV), { title: "Previous task in your history (Alt+←)" });
    this.nextButton = button("▶", "dbl-labeler-next", () => store.navigate(REQUEST.NEXT), { title: "Next task (Alt+→)" });
    this.skipButton = button("Skip", "dbl-labeler-skip", () => store.skip(), { class: "dbl-labeler-button--quiet", key: "ctrl+space", title: "Skip this task (Ctrl+Space)" });
    this.submitLabel = h("span", { text: "Submit" });
    this.submitButton = h("button", { type: "button", class: "dbl-labeler-button dbl-labeler-button--primary", testid: "dbl-labeler-submit",
      title: "Submit (Ctrl+Enter / ⌘+Enter)", onclick: () => { store.submit(); this.focusRoot(); } }, this.submitLabel, keyBadge("ctrl+enter"));
    this.instructionButton = button("Instructions", "dbl-labeler-instruction-toggle", () => {
      store.instructionOpen = !store.instructionOpen;
      store.emit("instruction");
    }, { class: "dbl-labeler-button--quiet" });

    this.header = h("div", { class: "dbl-labeler-header", testid: "dbl-labeler-header" },
      h("div", { class: "dbl-labeler-header-main" }, this.title, this.taskEl, this.badges),
      h("div", { class: "dbl-labeler-header-meta" }, this.userEl, this.progressEl, this.clockEl, this.statusEl),
      h("div", { class: "dbl-labeler-header-actions" }, this.instructionButton, this.prevButton, this.nextButton,
        this.skipButton, this.submitButton));

    this.bannerText = h("span", { class: "dbl-labeler-banner-text" });
    this.bannerActions = h("span", { class: "dbl-labeler-banner-actions" });
    this.banner = h("div", { class: "dbl-labeler-banner", testid: "dbl-labeler-banner", role: "alert", hidden: true },
      this.bannerText, this.bannerActions);

    const { frame, set } = sandboxedHtml("", "dbl-labeler-instruction-frame", "dbl-labeler-instruction-frame", this.root);
    this.instructionSet = set;
    this.instruction = h("div", { class: "dbl-labeler-instruction", testid: "dbl-labeler-instruction", hidden: true }, frame);

    this.content = h("div", { class: "dbl-labeler-content", testid: "dbl-labeler-content" });
    this.regionList = h("ol", { class: "dbl-labeler-region-list", testid: "dbl-labeler-regions" });
    this.regionTitle = h("div", { class: "dbl-labeler-side-title" });
    this.regionPanel = h("section", { class: "dbl-labeler-side-section" }, this.regionTitle, this.regionList);
    this.predictionPanel = h("section", { class: "dbl-labeler-side-section dbl-labeler-prediction", testid: "dbl-labeler-prediction" });
    this.historyList = h("ol", { class: "dbl-labeler-history-list", testid: "dbl-labeler-history" });
    this.historyPanel = h("section", { class: "dbl-labeler-side-section" },
      h("div", { class: "dbl-labeler-side-title", text: "Your recent tasks" }), this.historyList);
    this.side = h("aside", { class: "dbl-labeler-side", testid: "dbl-labeler-side" },
      this.regionPanel, this.predictionPanel, this.historyPanel);
    this.donePanel = h("div", { class: "dbl-labeler-done", testid: "dbl-labeler-done", hidden: true });
    this.main = h("div", { class: "dbl-labeler-main" }, this.content, this.side);
    this.hints = h("div", { class: "dbl-labeler-hints", testid: "dbl-labeler-hints" });
    this.help = h("div", { class: "dbl-labeler-help", testid: "dbl-labeler-help", hidden: true });
    const bannerSlot = h("div", { class: "dbl-labeler-banner-slot" }, this.banner);
    this.root.append(this.header, bannerSlot, this.instruction, this.main, this.donePanel, this.help, this.hints);
  }

  buildLayout() {
    const spec = this.store.spec.raw;
    this.ctx.controls = new Map();
    this.ctx.zoomers = [];
    this.layout = (spec.layout || []).map((node) => buildNode(node, this.ctx));
    this.content.replaceChildren(...this.layout.map((r) => r.el));
    this.hasRegions = Object.values(this.store.spec.controls).some((c) => LABEL_TYPES.has(c.type));
    this.buildHints();
  }

  buildHints() {
    const store = this.store;
    const controls = Object.values(store.spec.controls);
    const parts = [];
    const keyRange = (control) => {
      const keys = (control.options || []).map((o) => store.keyFor(control.name, o.value)).filter(Boolean);
      if (!keys.length) return null;
      const digits = keys.every((k) => /^\d$/.test(k))
        && keys.every((k, i) => i === 0 || Number(k) === Number(keys[i - 1]) + 1);
      if (keys.length > 2 && digits) return `${keys[0]}–${keys[keys.length - 1]}`;
      return keys.map(prettyKey).join(" ");
    };
    for (const control of controls) {
      const range = keyRange(control);
      if (!range) continue;
      const verb = control.type === "choices" ? "choose" : control.type === "labels" ? "label (then select text)" : "box label (then drag)";
      parts.push([range, `${verb}${controls.length > 1 ? ` ${control.name}` : ""}`]);
    }
    const optionHints = parts.length;
    parts.push(["ctrl+enter", "submit"]);
    if (store.projectInfo.show_skip_button !== false) parts.push(["ctrl+space", "skip"]);
    parts.push(["alt+left / alt+right", "previous / next"]);
    parts.push(["ctrl+z", "undo"]);
    if (this.hasRegions) {
      parts.push(["alt+up / alt+down", "select region"]);
      parts.push(["delete", "remove region"]);
    }
    if (controls.some((c) => c.type === "rectanglelabels")) parts.push(["←↑→↓ / Shift+←↑→↓", "move / resize box"]);
    if (Object.values(store.spec.objects).some((o) => o.tag === "Image")) parts.push(["+ / − / =", "zoom in / out / fit"]);
    parts.push(["escape", "clear"]);
    parts.push(["?", "all keys"]);
    const pretty = (combo) => combo.split(" / ").map((c) => (/^[a-z+]+$/.test(c) ? prettyKey(c) : c)).join(" / ");
    this.hints.replaceChildren(...parts.map(([combo, what], i) => h("span", { class: "dbl-labeler-hint" },
      h("kbd", { class: "dbl-labeler-key", text: i < optionHints ? combo : pretty(combo) }), ` ${what}`)));

    const rows = [];
    for (const control of controls) {
      for (const option of control.options || []) {
        const combo = store.keyFor(control.name, option.value);
        if (combo) rows.push([prettyKey(combo), `${control.name}: ${option.value}`]);
      }
      const own = store.keyFor(control.name, null);
      if (own) rows.push([prettyKey(own), `focus ${control.name}`]);
    }
    rows.push(["Ctrl+Enter · ⌘+Enter", "submit (or update) and go to the next task"]);
    if (store.projectInfo.show_skip_button !== false) rows.push(["Ctrl+Space", "skip the task"]);
    rows.push(["Alt+← / Alt+→", "previous / next task in your history"]);
    rows.push(["Ctrl+Z · Ctrl+Shift+Z / Ctrl+Y", "undo · redo"]);
    if (this.hasRegions) {
      rows.push(["Alt+↑ / Alt+↓", "select previous / next region"]);
      rows.push(["Del · ⌫", "remove the selected region"]);
      rows.push(["label key with a region selected", "relabel the region"]);
    }
    if (controls.some((c) => c.type === "rectanglelabels")) rows.push(["←↑→↓ · Shift+←↑→↓", "move · resize the selected box"]);
    if (Object.values(store.spec.objects).some((o) => o.tag === "Image")) rows.push(["+ · − · = · Ctrl+wheel", "zoom in · out · fit the image"]);
    rows.push(["Enter · Shift+Enter (text box)", "add the entry · new line"]);
    rows.push(["Esc", "clear selection and armed label; leave a text box"]);
    rows.push(["?", "show / hide this list"]);
    this.help.replaceChildren(h("div", { class: "dbl-labeler-side-title", text: "Keyboard" }),
      h("table", { class: "dbl-labeler-help-table" }, rows.map(([k, what]) => h("tr", {},
        h("td", {}, h("kbd", { class: "dbl-labeler-key", text: k })), h("td", { text: what })))));
  }

  tick() {
    if (this.store.task) this.clockText.textContent = formatClock(this.store.leadTime());
  }

  update(reason) {
    if (this.destroyed) return;
    const store = this.store;
    const model = store.model;
    if (reason === "spec") this.buildLayout();
    const project = store.projectInfo;
    const user = model.get("user") || {};
    const task = store.task;
    const status = model.get("status");
    const root = this.root;
    root.dataset.status = store.busy ? "saving" : status;
    root.dataset.taskId = task ? String(task.id) : "";
    root.dataset.dirty = String(store.dirty);
    const saved = model.get("last_saved") || {};
    root.dataset.lastSaved = saved.kind ? JSON.stringify(saved) : "";
    root.dataset.lastSavedKind = saved.kind || "";
    root.dataset.error = model.get("error") || "";
    root.setAttribute("aria-label", `Labeling ${project.title || ""}`);

    this.title.textContent = project.title || "";
    this.title.title = project.title || "";
    this.userEl.textContent = user.display_name || user.email || "";
    this.userEl.title = user.email || "";
    this.taskEl.textContent = task ? `Task #${task.id}` : "";
    this.taskEl.title = task?.inner_id != null ? `task ${task.id}, number ${task.inner_id} in this project` : "";
    const badges = [];
    if (task?.read_only) badges.push(["read-only", "muted"]);
    if (task && store.submitted) badges.push(["submitted", "ok"]);
    if (task?.annotation?.was_cancelled) badges.push(["skipped", "muted"]);
    if (task && store.inHistory === false && task.draft) badges.push(["draft restored", "muted"]);
    this.badges.replaceChildren(...badges.map(([t, k]) => h("span", { class: `dbl-labeler-badge dbl-labeler-badge--${k}`, text: t })));

    const progress = model.get("progress") || {};
    const total = Number(progress.total) || 0;
    const done = Number(progress.project_done) || 0;
    this.progressText.textContent = `mine ${progress.mine ?? 0} · project ${done} / ${total}`;
    this.progressText.title = "Tasks you completed · tasks the project has finished / all tasks";
    this.progressBar.style.width = `${total ? clamp((done / total) * 100, 0, 100) : 0}%`;
    this.tick();
    if (!task) this.clockText.textContent = "";

    let statusText = store.busy === "submit" ? "Submitting…" : store.busy === "skip" ? "Skipping…"
      : store.busy === "nav" ? "Loading…" : STATUS_TEXT[status] || status;
    if (!store.busy && task && store.dirty && status !== "error") statusText = store.draftInFlight ? "Saving…" : "Unsaved changes";
    this.statusEl.textContent = statusText;
    this.statusEl.className = `dbl-labeler-status dbl-labeler-status--${store.busy ? "saving" : status}`;

    const editable = Boolean(task) && !task.read_only;
    this.submitLabel.textContent = store.submitted ? "Update" : "Submit";
    this.submitButton.disabled = !editable || Boolean(store.busy);
    this.skipButton.hidden = project.show_skip_button === false;
    this.skipButton.disabled = !editable || Boolean(store.busy);
    this.prevButton.disabled = !store.canPrev() || Boolean(store.busy);
    this.nextButton.disabled = !store.canNext() || Boolean(store.busy);

    const instruction = model.get("instruction") || "";
    this.instructionButton.hidden = !instruction;
    this.instructionButton.setAttribute("aria-expanded", String(store.instructionOpen));
    this.instruction.hidden = !instruction || !store.instructionOpen;
    if (instruction && store.instructionOpen) this.instructionSet(instruction);

    this.updateBanner();

    const isDone = !task;
    this.main.hidden = isDone;
    this.donePanel.hidden = !isDone;
    if (isDone) this.updateDone(status);
    else for (const renderer of this.layout) renderer.update(reason);
    this.updateSide();
    this.help.hidden = !store.helpOpen;
    if (reason === "invalid" && store.invalidControl) this.ctx.controls.get(store.invalidControl)?.focus?.();
  }

  updateBanner() {
    const store = this.store;
    const kernelError = store.model.get("error") || "";
    if (!kernelError) store.dismissedError = null;
    let message = null;
    let level = "error";
    if (kernelError && store.dismissedError !== kernelError) message = kernelError;
    else if (store.notice) ({ text: message, level } = store.notice);
    this.banner.hidden = !message;
    this.banner.className = `dbl-labeler-banner dbl-labeler-banner--${level}`;
    this.bannerText.textContent = message || "";
    const actions = [];
    if (message && store.dirty && store.task && !store.readOnly && level === "error"
      && [ERROR_KIND.CONNECTION, ERROR_KIND.TIMEOUT].includes(store.lastErrorKind)) {
      actions.push(h("button", { type: "button", class: "dbl-labeler-button dbl-labeler-button--quiet", testid: "dbl-labeler-retry", text: "Save now",
        onclick: () => { store.saveDraft(); this.focusRoot(); } }));
    }
    if (message && kernelError === message && store.task && !store.inHistory
      && store.lastErrorKind === ERROR_KIND.UNAVAILABLE) {
      actions.push(h("button", { type: "button", class: "dbl-labeler-button dbl-labeler-button--quiet", text: "Next task",
        onclick: () => { store.navigate(REQUEST.NEXT); this.focusRoot(); } }));
    }
    if (message) {
      actions.push(h("button", { type: "button", class: "dbl-labeler-icon-button", title: "Dismiss", text: "✕", testid: "dbl-labeler-banner-dismiss",
        onclick: () => {
          if (kernelError === message) store.dismissedError = kernelError;
          else store.notice = null;
          store.emit("notice");
          this.focusRoot();
        } }));
    }
    this.bannerActions.replaceChildren(...actions);
  }

  updateDone(status) {
    const store = this.store;
    const progress = store.model.get("progress") || {};
    const loading = status === "loading";
    this.donePanel.replaceChildren(
      h("div", { class: "dbl-labeler-done-title", text: loading ? "Loading…" : "Nothing left to label here for you." }),
      loading ? null : h("div", { class: "dbl-labeler-done-text",
        text: `You completed ${progress.mine ?? 0} task${progress.mine === 1 ? "" : "s"} in this project. New tasks may arrive, or others may release theirs.` }),
      loading ? null : h("div", { class: "dbl-labeler-done-actions" },
        h("button", { type: "button", class: "dbl-labeler-button dbl-labeler-button--primary", testid: "dbl-labeler-check-again", text: "Check again",
          onclick: () => store.navigate(REQUEST.NEXT) }),
        store.history.length ? h("button", { type: "button", class: "dbl-labeler-button", text: "◀ Review your last task",
          onclick: () => store.navigate(REQUEST.PREV) }) : null),
    );
  }

  updateSide() {
    const store = this.store;
    const task = store.task;
    // Regions
    this.regionPanel.hidden = !this.hasRegions || !task;
    if (this.hasRegions && task) {
      const regions = store.regions();
      this.regionTitle.textContent = `Regions (${regions.length})`;
      const key = JSON.stringify([regions.map((r) => [r.id, r.value, r.origin]), store.selectedRegion, store.readOnly]);
      if (key !== this.regionKey) {
        this.regionKey = key;
        this.regionList.replaceChildren(...(regions.length ? regions.map((region) => {
          const v = region.value || {};
          const labels = (v[region.type] || []).join(", ");
          const what = region.type === "labels" ? `“${snippet(v.text, 40)}”`
            : `${round(v.width, 1)}×${round(v.height, 1)}% at ${round(v.x, 1)}, ${round(v.y, 1)}`;
          const selected = region.id === store.selectedRegion;
          const row = h("li", { class: `dbl-labeler-region${selected ? " dbl-labeler-region--selected" : ""}`, testid: "dbl-labeler-region",
            "data-region-id": region.id, "aria-selected": String(selected) },
          h("button", { type: "button", class: "dbl-labeler-region-pick", onclick: () => { store.selectRegion(selected ? null : region.id); this.focusRoot(); } },
            h("span", { class: "dbl-labeler-swatch" }), h("span", { class: "dbl-labeler-region-label", text: labels || "(no label)" }),
            h("span", { class: "dbl-labeler-region-what", text: what }),
            String(region.origin || "").startsWith("prediction") ? h("span", { class: "dbl-labeler-badge dbl-labeler-badge--muted",
              text: region.origin === "prediction" ? "pred" : "pred ✎",
              title: region.origin === "prediction" ? "From the model's prediction" : "From the prediction, changed by you" }) : null),
          store.readOnly ? null : h("button", { type: "button", class: "dbl-labeler-icon-button", title: "Remove region (Del)", text: "✕", testid: "dbl-labeler-region-delete",
            onclick: () => { store.deleteRegion(region.id); this.focusRoot(); } }));
          row.style.setProperty("--dbl-c", store.colorOfRegion(region));
          return row;
        }) : [h("li", { class: "dbl-labeler-empty", text: "None yet: pick a label, then select text or drag on the image." })]));
      }
    }
    // Prediction
    const prediction = task?.predictions?.[0];
    this.predictionPanel.hidden = !prediction;
    if (prediction) {
      const used = store.parentPredictionId === prediction.id;
      const score = prediction.score == null ? "" : ` · score ${round(prediction.score, 3)}`;
      this.predictionPanel.replaceChildren(h("div", { class: "dbl-labeler-side-title", text: "Prediction" }),
        h("div", { class: "dbl-labeler-prediction-text", text: `${prediction.model_version || "model"}${score}${used ? " · loaded as pre-annotation" : ""}` }));
    }
    // History
    const history = store.history;
    const key = JSON.stringify([history.slice(-30), task?.id]);
    if (key !== this.historyKey) {
      this.historyKey = key;
      const ids = history.slice(-30).reverse();
      const items = ids.map((id) => h("li", {}, h("button", {
        type: "button", class: `dbl-labeler-history-item${id === task?.id ? " dbl-labeler-history-item--current" : ""}`,
        text: `#${id}`, onclick: () => { store.navigate(REQUEST.OPEN, { task_id: id }); this.focusRoot(); },
      })));
      if (task && !history.includes(task.id)) {
        items.unshift(h("li", {}, h("span", { class: "dbl-labeler-history-item dbl-labeler-history-item--current", text: `#${task.id} (new)` })));
      }
      this.historyList.replaceChildren(...items);
      this.historyPanel.hidden = !items.length;
    }
  }

  keydown(event) {
    const store = this.store;
    if (event.isComposing) return;
    const combo = comboOf(event);
    const stop = () => { event.preventDefault(); event.stopPropagation(); };
    if (!combo) return;
    if (event.defaultPrevented) { // a control handled it (e.g. Enter in a text box)
      event.stopPropagation();
      return;
    }
    if (combo === "ctrl+enter" || combo === "meta+enter") { stop(); store.submit(); return; }
    if (combo === "ctrl+space") { stop(); store.skip(); return; }
    if (combo === "alt+left") { stop(); store.navigate(REQUEST.PREV); return; }
    if (combo === "alt+right") { stop(); store.navigate(REQUEST.NEXT); return; }
    if (combo === "alt+up") { stop(); store.cycleRegion(-1); return; }
    if (combo === "alt+down") { stop(); store.cycleRegion(1); return; }
    const typing = isTyping(event.target);
    if (typing) {
      if (combo === "escape") { stop(); this.focusRoot(true); return; }
      // Text boxes own their keys; keep them from JupyterLab's shortcuts all the same.
      if (!event.ctrlKey && !event.metaKey) event.stopPropagation();
      return;
    }
    if (combo === "ctrl+z" || combo === "meta+z") { stop(); store.undo(); return; }
    if (combo === "ctrl+shift+z" || combo === "ctrl+y" || combo === "shift+meta+z") { stop(); store.redo(); return; }
    const binding = store.spec.hotkeys.get(combo);
    if (binding) {
      stop();
      this.applyHotkey(binding);
      return;
    }
    if (event.key === "?") { stop(); store.helpOpen = !store.helpOpen; store.emit("help"); return; }
    const zoomKey = { "+": "in", "-": "out", "=": "fit" }[event.key];
    if (zoomKey && this.ctx.zoomers.length) { stop(); this.ctx.zoomers.forEach((z) => z(zoomKey)); return; }
    if (combo === "escape") {
      stop();
      if (!store.clearSelection()) { store.helpOpen = false; store.notice = null; store.emit("notice"); }
      return;
    }
    if ((combo === "delete" || combo === "backspace") && store.selectedRegion) {
      stop();
      store.deleteRegion(store.selectedRegion);
      return;
    }
    const arrows = { left: [-1, 0], right: [1, 0], up: [0, -1], down: [0, 1] };
    const arrow = /^(shift\+)?(left|right|up|down)$/.exec(combo);
    if (arrow && store.region(store.selectedRegion)?.type === "rectanglelabels") {
      stop();
      const [dx, dy] = arrows[arrow[2]];
      store.nudgeSelectedBox(dx * 0.5, dy * 0.5, Boolean(arrow[1]));
      return;
    }
    if ((combo === "enter" || combo === "space") && event.target !== this.root) {
      event.stopPropagation(); // let the focused button click, but not JupyterLab run the cell
      return;
    }
    // Any other plain key stays here (JupyterLab's command mode would act on it);
    // Ctrl/⌘ combinations (save, palette, ...) go on to JupyterLab and the browser.
    if (!event.ctrlKey && !event.metaKey) {
      event.stopPropagation();
      if (combo === "enter" || combo === "shift+enter" || combo === "space") event.preventDefault();
    }
  }

  applyHotkey({ control, value }) {
    const store = this.store;
    const def = store.spec.controls[control];
    if (!def) return;
    if (value == null) {
      this.ctx.controls.get(control)?.focus?.();
      return;
    }
    if (def.type === "choices") store.toggleChoice(control, value, { select: true });
    else if (LABEL_TYPES.has(def.type)) store.toggleLabel(control, value);
  }
}

// ---------------------------------------------------------------------------------------
// anywidget entry points
// ---------------------------------------------------------------------------------------

const STORES = new WeakMap();

function storeOf(model) {
  let store = STORES.get(model);
  if (!store || store.disposed) {
    store = new LabelStore(model);
    STORES.set(model, store);
  }
  return store;
}

export default {
  initialize({ model }) {
    const store = storeOf(model);
    return () => {
      store.dispose();
      STORES.delete(model);
    };
  },
  render({ model, el }) {
    const view = new LabelerView(storeOf(model), el);
    return () => view.destroy();
  },
};
