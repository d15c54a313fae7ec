// A stand-in for the `obsidian` module, just enough of the real API for the bundled
// main.js to run under Node: Plugin (loadData/saveData over a data.json file, commands,
// a settings tab), Notice (recorded), requestUrl (routed by the test), Vault (read,
// process), Workspace (getActiveFile), Modal (answered from a queue), Setting,
// PluginSettingTab, SecretStorage (app.secretStorage) and SecretComponent. `control` is the test's side: what was shown, sent and saved.
"use strict";
const fs = require("node:fs");

/** The test's handle on the stub. */
const control = {
  /** Messages of every Notice, in order. */
  notices: [],
  /** Every requestUrl call and every modal, in order: {kind: "request", url, method, headers, body} | {kind: "modal", title, text}. */
  log: [],
  /** (param) => {status, headers?, text} | Promise of it; may throw (a network failure). */
  route: null,
  /** Answers for the next modals: the text of the button to click. */
  modalAnswers: [],
  /** Where Plugin.loadData/saveData keep data.json. */
  dataPath: null,
  /** Notes by path. */
  files: new Map(),
  /** The note the workspace has open (a path). */
  activePath: null,
  /** Obsidian's secret storage (shared by every App, as on one machine): id → secret. */
  secrets: new Map(),
  /** requestUrl calls not settled yet. */
  inflight: new Set(),
  /** Resolves once no request is in flight, including ones started by the settling of
   * others (a push answered starts a pull…): waits a macrotask turn, then for what is in
   * flight, until a turn passes with nothing. */
  async idle() {
    for (;;) {
      await new Promise((r) => setImmediate(r));
      if (this.inflight.size === 0) return;
      await Promise.allSettled([...this.inflight]);
    }
  },
  reset() {
    this.notices.length = 0;
    this.log.length = 0;
    this.modalAnswers.length = 0;
  },
};

/** A detached element: records text and children, dispatches click listeners. */
class FakeElement {
  constructor(tag, info) {
    this.tag = tag;
    this.children = [];
    this.listeners = {};
    this.textContent = (info && typeof info === "object" ? info.text : info) || "";
    this.cls = info && typeof info === "object" ? info.cls || "" : "";
    this.value = "";
  }
  createEl(tag, info, callback) {
    const el = new FakeElement(tag, info);
    this.children.push(el);
    if (callback) callback(el);
    return el;
  }
  createDiv(info, callback) {
    return this.createEl("div", info, callback);
  }
  setText(text) {
    this.textContent = text;
  }
  empty() {
    this.children.length = 0;
    this.textContent = "";
  }
  addEventListener(type, fn) {
    (this.listeners[type] = this.listeners[type] || []).push(fn);
  }
  dispatch(type) {
    for (const fn of this.listeners[type] || []) fn({ type });
  }
  /** All text below this element, children first-to-last. */
  allText() {
    return [this.textContent, ...this.children.map((c) => c.allText())].filter(Boolean).join(" ");
  }
  /** Elements below this one matching a predicate. */
  find(pred) {
    const out = [];
    for (const c of this.children) {
      if (pred(c)) out.push(c);
      out.push(...c.find(pred));
    }
    return out;
  }
}

class Notice {
  constructor(message) {
    control.notices.push(String(message));
    this.noticeEl = new FakeElement("div", String(message));
  }
  setMessage(message) {
    control.notices.push(String(message));
    return this;
  }
  hide() {}
}

class TAbstractFile {}
class TFile extends TAbstractFile {
  constructor(path) {
    super();
    this.path = path;
    this.name = path.split("/").pop();
    this.extension = this.name.includes(".") ? this.name.split(".").pop() : "";
    this.basename = this.name.slice(0, this.name.length - (this.extension ? this.extension.length + 1 : 0));
  }
}

class Vault {
  async read(file) {
    if (!control.files.has(file.path)) throw new Error(`no such file ${file.path}`);
    return control.files.get(file.path);
  }
  async process(file, fn) {
    if (!control.files.has(file.path)) throw new Error(`no such file ${file.path}`);
    const text = fn(control.files.get(file.path));
    control.files.set(file.path, text);
    return text;
  }
}

class Workspace {
  getActiveFile() {
    return control.activePath === null ? null : new TFile(control.activePath);
  }
}

class SecretStorage {
  setSecret(id, secret) {
    if (!/^[a-z0-9-]+$/.test(id)) throw new Error(`invalid secret id ${id}`);
    control.secrets.set(id, secret);
  }
  getSecret(id) {
    return control.secrets.has(id) ? control.secrets.get(id) : null;
  }
  listSecrets() {
    return [...control.secrets.keys()];
  }
}

class App {
  constructor() {
    this.secretStorage = new SecretStorage();
    this.vault = new Vault();
    this.workspace = new Workspace();
  }
}

class Component {
  load() {}
  onload() {}
  unload() {}
  onunload() {}
}

class Plugin extends Component {
  constructor(app, manifest) {
    super();
    this.app = app;
    this.manifest = manifest;
    this.commands = new Map();
    this.settingTabs = [];
  }
  addCommand(command) {
    this.commands.set(command.id, command);
    return command;
  }
  addSettingTab(tab) {
    this.settingTabs.push(tab);
  }
  async loadData() {
    if (!control.dataPath || !fs.existsSync(control.dataPath)) return null;
    const text = fs.readFileSync(control.dataPath, "utf8");
    return text.trim() === "" ? null : JSON.parse(text);
  }
  async saveData(data) {
    fs.writeFileSync(control.dataPath, JSON.stringify(data, null, 2));
  }
}

class Modal {
  constructor(app) {
    this.app = app;
    this.titleEl = new FakeElement("div");
    this.contentEl = new FakeElement("div");
    this.modalEl = new FakeElement("div");
  }
  setTitle(title) {
    this.titleEl.setText(title);
    return this;
  }
  setContent(content) {
    this.contentEl.setText(String(content));
    return this;
  }
  /** Opens: runs onOpen, records the modal, then "clicks" the next queued answer. */
  open() {
    Promise.resolve(this.onOpen()).then(() => {
      const entry = { kind: "modal", title: this.titleEl.textContent, text: this.contentEl.allText() };
      control.log.push(entry);
      const answer = control.modalAnswers.shift();
      const button = this.contentEl.find((e) => e.tag === "button" && e.textContent === answer)[0];
      if (!button) {
        // Dismissed (as Escape would), and the test fails on the recorded error.
        entry.error = answer === undefined ? "no answer queued" : `no button "${answer}"`;
        this.close();
        return;
      }
      entry.answer = answer;
      button.dispatch("click");
    });
  }
  close() {
    this.onClose();
  }
  onOpen() {}
  onClose() {}
}

class TextComponent {
  constructor() {
    this.inputEl = new FakeElement("input");
    this.changeHandlers = [];
  }
  setPlaceholder(p) {
    this.inputEl.placeholder = p;
    return this;
  }
  setValue(v) {
    this.inputEl.value = v;
    return this;
  }
  getValue() {
    return this.inputEl.value;
  }
  onChange(fn) {
    this.changeHandlers.push(fn);
    return this;
  }
  /** The user types `value`: runs the change handlers and waits for them. */
  async type(value) {
    this.inputEl.value = value;
    await Promise.all(this.changeHandlers.map((fn) => fn(value)));
  }
}

/** Picks a secret-storage entry by name; the value is the entry's name, not the secret. */
class SecretComponent extends TextComponent {
  constructor(app, containerEl) {
    super();
    this.app = app;
    this.containerEl = containerEl;
  }
}

class Setting {
  constructor(containerEl) {
    this.settingEl = containerEl.createDiv({ cls: "setting-item" });
    this.settingEl.setting = this;
    this.name = "";
    this.components = [];
  }
  setName(name) {
    this.name = name;
    return this;
  }
  setDesc(desc) {
    this.desc = desc;
    return this;
  }
  addComponent(cb) {
    this.components.push(cb(this.settingEl));
    return this;
  }
  addText(cb) {
    const t = new TextComponent();
    this.components.push(t);
    cb(t);
    return this;
  }
}

class PluginSettingTab {
  constructor(app, plugin) {
    this.app = app;
    this.plugin = plugin;
    this.containerEl = new FakeElement("div");
  }
  /** The text field of the setting called `name` (after display()). */
  field(name) {
    const s = this.containerEl.find((e) => e.setting && e.setting.name === name)[0];
    if (!s) throw new Error(`no setting "${name}"`);
    return s.setting.components[0];
  }
}

/** Like Obsidian's: resolves with {status, headers, text, json, arrayBuffer}; rejects
 * for status ≥ 400 unless `throw: false`; rejects when the route throws (offline). */
function requestUrl(param) {
  const p = typeof param === "string" ? { url: param } : param;
  const entry = { kind: "request", url: p.url, method: p.method || "GET", headers: p.headers || {}, body: p.body };
  control.log.push(entry);
  const done = (async () => {
    if (!control.route) throw new Error("no route set");
    const res = await control.route(entry);
    entry.status = res.status;
    entry.response = res.text;
    if (res.status >= 400 && p.throw !== false) {
      const err = new Error(`Request failed, status ${res.status}`);
      err.status = res.status;
      throw err;
    }
    return {
      status: res.status,
      headers: res.headers || {},
      text: res.text,
      get json() {
        return JSON.parse(res.text);
      },
      arrayBuffer: new TextEncoder().encode(res.text).buffer,
    };
  })();
  control.inflight.add(done);
  done.then(
    () => control.inflight.delete(done),
    () => control.inflight.delete(done),
  );
  return done;
}

module.exports = {
  control,
  App,
  Component,
  Modal,
  Notice,
  Plugin,
  PluginSettingTab,
  SecretComponent,
  SecretStorage,
  Setting,
  TAbstractFile,
  TFile,
  TextComponent,
  Vault,
  Workspace,
  requestUrl,
};
