// The Configuration page: a form generated from the options catalogue (/api/fields/*) editing the active
// environment (/api/configs/*), validated inline by the server (/api/training/validate) before it is saved.
"use strict";

// The one hand-written fact: what each catalogue tab is called on screen, in display order.
const CONFIG_TAB_LABELS = {
  model: "Model",
  training: "Training",
  datasets: "Datasets",
  validation: "Validations & Output",
  publishing: "Publishing",
  advanced: "Advanced",
};
const DATASETS_TAB = "datasets";
const VALIDATE_DELAY_MS = 350;
const TRUE_WORDS = ["true", "1", "yes", "on"];

function configForm(hasDatasetWizard = false) {
  return {
    hasDatasetWizard,
    loading: true,
    loadError: "",
    tabs: [], // [{id, label, groups: [{name, fields: [names]}]}]
    fields: {}, // name -> option spec from /api/fields/metadata
    activeTab: "model",
    query: "",
    showOtherFamilies: false,
    environment: null, // {name, metadata}
    raw: {}, // config.json as loaded (every key, unknown ones too)
    spelling: {}, // option name -> the key the file uses for it ("--opt" or "opt")
    loaded: {}, // option name -> form value as loaded
    values: {}, // option name -> form value now (text, or a boolean for bool options)
    errors: {}, // option name -> [messages]
    warnings: {},
    otherErrors: [], // problems naming no field of the form
    baseline: new Set(), // "field|message" of problems the saved config already had
    validating: false,
    validationRun: 0,
    validateTimer: null,
    saving: false,
    status: "",
    saveError: "",
    dataloaders: {}, // file name -> its dataset entries (from the export)
    presets: { loading: false, error: "", family: "", list: [] },

    async init() {
      this.activeTab = new URLSearchParams(window.location.search).get("tab") || "model";
      window.addEventListener("beforeunload", (event) => {
        if (!this.dirty) return;
        event.preventDefault();
        event.returnValue = ""; // older browsers ask only when returnValue is set
      });
      window.addEventListener("popstate", () => {
        this.activeTab = new URLSearchParams(window.location.search).get("tab") || "model";
      });
      // The header's switcher activates on change; ask first (capture runs before its own listener).
      window.addEventListener("change", (event) => this.guardSwitch(event), true);
      window.addEventListener("environment-changed", () => this.loadEnvironment());
      window.addEventListener("dataset-configured", () => this.datasetConfigured());
      try {
        await this.loadCatalogue();
        await this.loadEnvironment();
      } catch (error) {
        this.loadError = error.message;
        this.loading = false;
      }
    },

    // ----- loading -----
    async loadCatalogue() {
      const [tabs, metadata] = await Promise.all([
        simpletuner.api("GET", "/api/fields/tabs"),
        simpletuner.api("GET", "/api/fields/metadata"),
      ]);
      this.fields = metadata.fields;
      const byId = Object.fromEntries(tabs.map((tab) => [tab.name, tab.groups]));
      const ids = [...Object.keys(CONFIG_TAB_LABELS), ...tabs.map((tab) => tab.name)];
      this.tabs = [...new Set(ids)]
        .filter((id) => byId[id] || id === DATASETS_TAB)
        .map((id) => ({ id, label: CONFIG_TAB_LABELS[id] || id, groups: byId[id] || [] }));
      if (!this.tabs.some((tab) => tab.id === this.activeTab)) this.activeTab = this.tabs[0].id;
    },

    async loadEnvironment() {
      this.loading = true;
      this.loadError = "";
      try {
        const data = await simpletuner.api("GET", "/api/configs/active");
        this.environment = { name: data.name, metadata: data.metadata };
        this.adopt(data.config || {});
      } catch (error) {
        this.environment = null;
        this.loadError =
          error.status === 404
            ? "No environment is active. Pick one in the header, or create one on the Environments page."
            : error.message;
        return;
      } finally {
        this.loading = false;
      }
      await Promise.all([this.validate({ baseline: true }), this.loadDataloaders()]);
    },

    adopt(config) {
      this.raw = config;
      this.spelling = {};
      for (const key of Object.keys(config)) {
        const name = key.replace(/^--/, "");
        if (this.fields[name]) this.spelling[name] = key;
      }
      const loaded = {};
      for (const [name, spec] of Object.entries(this.fields)) {
        loaded[name] = this.formValue(spec, name in this.spelling ? config[this.spelling[name]] : undefined);
      }
      this.loaded = loaded;
      this.values = { ...loaded };
      this.saveError = "";
    },

    async loadDataloaders() {
      if (!this.environment) return;
      try {
        const name = encodeURIComponent(this.environment.name);
        const exported = await simpletuner.api("GET", `/api/configs/${name}/export?include_metadata=false`);
        this.dataloaders = exported.dataloaders || {};
      } catch (error) {
        this.dataloaders = {};
        simpletuner.toast(`Could not read the dataloader files: ${error.message}`, "error");
      }
    },

    // ----- values -----
    formValue(spec, value) {
      if (spec.kind === "bool") return value === undefined || value === null ? Boolean(spec.default) : this.isTrue(value);
      if (value === undefined || value === null) return "";
      if (spec.kind === "json" && typeof value !== "string") return JSON.stringify(value, null, 2);
      return String(value);
    },
    isTrue(value) {
      return value === true || TRUE_WORDS.includes(String(value).toLowerCase());
    },
    isBlank(name) {
      return this.fields[name].kind !== "bool" && String(this.values[name]).trim() === "";
    },
    typed(name) {
      const spec = this.fields[name];
      const text = this.values[name];
      if (spec.kind === "bool") return Boolean(text);
      const trimmed = String(text).trim();
      if (spec.kind === "int" && /^[+-]?\d+$/.test(trimmed)) return parseInt(trimmed, 10);
      if (spec.kind === "float" && trimmed !== "" && Number.isFinite(Number(trimmed))) return Number(trimmed);
      if (spec.kind === "json") {
        try {
          return JSON.parse(trimmed);
        } catch {
          return text; // the validator names the problem
        }
      }
      return spec.kind === "int" || spec.kind === "float" ? trimmed : text;
    },
    isChanged(name) {
      return this.values[name] !== this.loaded[name];
    },
    isModified(name) {
      const spec = this.fields[name];
      if (this.isBlank(name)) return false;
      const value = this.typed(name);
      if (spec.default === null || spec.default === undefined) return true;
      if (spec.kind === "json") return JSON.stringify(value) !== JSON.stringify(spec.default);
      return String(value) !== String(spec.default);
    },
    get changedNames() {
      return Object.keys(this.fields).filter((name) => this.isChanged(name));
    },
    get dirty() {
      return this.changedNames.length > 0;
    },
    useDefault(name) {
      const spec = this.fields[name];
      this.values[name] = spec.kind === "bool" ? Boolean(spec.default) : "";
      this.changed();
    },
    discard() {
      this.values = { ...this.loaded };
      this.validate();
    },

    // The config the form describes: the loaded file with only the changed options rewritten (unknown keys
    // and each key's spelling stay as the file has them).
    buildConfig() {
      const config = { ...this.raw };
      const dashed = Object.keys(this.raw).length === 0 || Object.keys(this.raw).some((k) => k.startsWith("--"));
      for (const name of this.changedNames) {
        const key = this.spelling[name] || (dashed ? `--${name}` : name);
        if (this.isBlank(name) && !this.fields[name].allow_empty) delete config[key];
        else config[key] = this.isBlank(name) ? "" : this.typed(name);
      }
      return config;
    },

    // ----- validation -----
    changed() {
      clearTimeout(this.validateTimer);
      this.validateTimer = setTimeout(() => this.validate(), VALIDATE_DELAY_MS);
    },

    validationForm() {
      const form = new FormData();
      const disabled = [];
      for (const name of this.changedNames) {
        const spec = this.fields[name];
        if (this.isBlank(name) && !spec.allow_empty && !spec.required) {
          disabled.push(name);
          continue;
        }
        const value = this.values[name];
        form.append(`--${name}`, spec.kind === "bool" ? String(Boolean(value)) : String(value).trim());
      }
      if (disabled.length) form.append("__disabled_fields__", disabled.join(","));
      return form;
    },

    // Ask the server about the changes over the saved environment; returns the new problems (none: valid).
    async validate({ baseline = false } = {}) {
      clearTimeout(this.validateTimer);
      const run = ++this.validationRun;
      this.validating = true;
      this.status = "Checking the configuration…";
      try {
        const reply = await simpletuner.api("POST", "/api/training/validate", this.validationForm());
        if (run !== this.validationRun) return null;
        if (baseline) this.baseline = new Set(reply.errors.map((e) => `${e.field}|${e.message}`));
        this.showProblems(reply);
        const fresh = reply.errors.filter((e) => !this.baseline.has(`${e.field}|${e.message}`));
        this.status = reply.valid
          ? "The configuration is valid."
          : `${reply.errors.length} problem${reply.errors.length === 1 ? "" : "s"} found.`;
        return fresh;
      } catch (error) {
        if (run === this.validationRun) this.status = `Could not check the configuration: ${error.message}`;
        return null;
      } finally {
        if (run === this.validationRun) this.validating = false;
      }
    },

    showProblems(reply) {
      const errors = {};
      const warnings = {};
      const other = [];
      for (const problem of reply.errors) {
        if (this.fields[problem.field]) (errors[problem.field] ||= []).push(problem.message);
        else other.push(problem);
      }
      for (const problem of reply.warnings) {
        if (this.fields[problem.field]) (warnings[problem.field] ||= []).push(problem.message);
      }
      this.errors = errors;
      this.warnings = warnings;
      this.otherErrors = other;
    },

    // ----- saving -----
    async save() {
      if (!this.environment || this.saving) return;
      this.saving = true;
      this.saveError = "";
      try {
        const fresh = await this.validate();
        if (fresh === null) {
          this.saveError = "Not saved: the configuration could not be checked. Try again.";
          return;
        }
        if (fresh.length) {
          const where = fresh.map((e) => `--${e.field}`).join(", ");
          this.saveError = `Not saved: your changes have ${fresh.length} problem${fresh.length === 1 ? "" : "s"} (${where}). Fix the fields marked below.`;
          this.reveal(fresh[0].field);
          return;
        }
        const name = this.environment.name;
        const config = this.buildConfig();
        const reply = await simpletuner.api("PUT", `/api/configs/${encodeURIComponent(name)}`, { config });
        this.adopt(config);
        this.environment.metadata = reply.metadata;
        const notes = [...(reply.validation?.warnings || [])];
        if (Object.keys(this.errors).length || this.otherErrors.length) notes.push("the config still has problems marked below");
        this.status = `Saved ${name}.`;
        simpletuner.toast(`Saved ${name}${notes.length ? ` (${notes.join("; ")})` : ""}`, "success");
      } catch (error) {
        this.saveError = `Not saved: ${error.message}`;
      } finally {
        this.saving = false;
      }
    },

    // Show a field the user must look at: its tab, then the field itself.
    reveal(name) {
      const tab = this.tabOf(name);
      if (tab && !this.query) this.selectTab(tab.id);
      this.$nextTick(() => {
        const input = document.getElementById(this.inputId(name));
        if (input) {
          input.scrollIntoView({ block: "center" });
          input.focus({ preventScroll: true });
        }
      });
    },

    guardSwitch(event) {
      if (event.target?.id !== "env-select" || !this.dirty || !this.environment) return;
      const message = `Switching environments discards your ${this.changedNames.length} unsaved change(s) to ${this.environment.name}. Switch anyway?`;
      if (!window.confirm(message)) {
        event.stopImmediatePropagation();
        event.target.value = this.environment.name;
      } else {
        this.values = { ...this.loaded }; // the reload that follows replaces them anyway
      }
    },

    // ----- tabs, search, visibility -----
    selectTab(id) {
      this.activeTab = id;
      const url = new URL(window.location.href);
      url.searchParams.set("tab", id);
      window.history.pushState({}, "", url);
    },
    moveTab(step) {
      const index = this.tabs.findIndex((tab) => tab.id === this.activeTab);
      const next = this.tabs[(index + step + this.tabs.length) % this.tabs.length];
      this.selectTab(next.id);
      this.$nextTick(() => document.getElementById(`tab-${next.id}`)?.focus());
    },
    tabOf(name) {
      return this.tabs.find((tab) => tab.groups.some((group) => group.fields.includes(name)));
    },
    get family() {
      return this.values.model_family || "";
    },
    appliesToFamily(name) {
      const families = this.fields[name].families || [];
      return !families.length || !this.family || families.includes(this.family);
    },
    matches(name) {
      const needle = this.query.trim().toLowerCase();
      if (!needle) return true;
      const spec = this.fields[name];
      return [name, this.labelOf(name), spec.help].some((text) => text.toLowerCase().includes(needle));
    },
    isShown(name) {
      if (!this.matches(name)) return false;
      return this.appliesToFamily(name) || this.showOtherFamilies || Boolean(this.errors[name]);
    },
    shownIn(tab) {
      return tab.groups.reduce((count, group) => count + group.fields.filter((n) => this.isShown(n)).length, 0);
    },
    panelShown(tab) {
      if (this.query.trim()) return tab.id !== DATASETS_TAB && this.shownIn(tab) > 0;
      return this.activeTab === tab.id;
    },
    get searchCount() {
      return this.tabs.reduce((count, tab) => count + this.shownIn(tab), 0);
    },
    hiddenForFamily(tab) {
      return tab.groups.reduce((n, g) => n + g.fields.filter((f) => !this.appliesToFamily(f) && this.matches(f)).length, 0);
    },

    // ----- per-field presentation -----
    inputId(name) {
      return `opt-${name}`;
    },
    labelOf(name) {
      const words = name.replace(/_/g, " ");
      return words.charAt(0).toUpperCase() + words.slice(1);
    },
    placeholderOf(name) {
      const value = this.fields[name].default;
      if (value === null || value === undefined) return "";
      return typeof value === "object" ? JSON.stringify(value) : String(value);
    },
    defaultText(name) {
      const spec = this.fields[name];
      if (spec.kind === "bool") return `Default: ${spec.default ? "on" : "off"}`;
      const text = this.placeholderOf(name);
      return text === "" ? "No default" : `Default: ${text}`;
    },
    rangeText(name) {
      const { minimum, maximum } = this.fields[name];
      const has = (v) => v !== null && v !== undefined;
      if (has(minimum) && has(maximum)) return `Between ${minimum} and ${maximum}.`;
      if (has(minimum)) return `At least ${minimum}.`;
      if (has(maximum)) return `At most ${maximum}.`;
      return "";
    },
    choicesOf(name) {
      const choices = [...this.fields[name].choices];
      const current = this.values[name];
      if (current !== "" && !choices.includes(current)) choices.push(current);
      return choices;
    },
    blankChoiceText(name) {
      const text = this.placeholderOf(name);
      return text === "" ? "Not set" : `Default (${text})`;
    },
    inputMode(name) {
      return { int: "numeric", float: "decimal" }[this.fields[name].kind] || "text";
    },
    get canEdit() {
      return simpletuner.can("config.edit.own") || simpletuner.can("config.edit.all");
    },
    lockedBy(name) {
      const permission = this.fields[name].permission;
      return permission && !simpletuner.can(permission) ? permission : "";
    },
    editable(name) {
      return this.canEdit && !this.lockedBy(name) && Boolean(this.environment);
    },
    familyNote(name) {
      if (this.appliesToFamily(name)) return "";
      return `Only for ${this.fields[name].families.join(", ")}; this environment trains ${this.family}.`;
    },
    describedBy(name) {
      return [`help-${name}`, this.errors[name] ? `err-${name}` : ""].filter(Boolean).join(" ");
    },

    // ----- datasets -----
    get dataloaderFiles() {
      return this.environment?.metadata?.dataloaders || [];
    },
    pointsAt(file) {
      const path = String(this.values.data_backend_config || "");
      return path.endsWith(`/${file}`) || path === file;
    },
    datasetRows(file) {
      const entries = this.dataloaders[file];
      return Array.isArray(entries) ? entries : [];
    },
    // The wizard wrote a dataset into a dataloader file (and may have pointed the config at it).
    async datasetConfigured() {
      if (!this.dirty) {
        await this.loadEnvironment();
        return;
      }
      const data = await simpletuner.api("GET", `/api/configs/${encodeURIComponent(this.environment.name)}`);
      this.environment.metadata = data.metadata;
      await this.loadDataloaders();
      simpletuner.toast("The dataset was added; save or discard your changes to see any option it set.", "info");
    },
    openDatasetWizard() {
      window.dispatchEvent(
        new CustomEvent("open-dataset-wizard", { detail: { environment: this.environment?.name } })
      );
    },

    // ----- memory presets -----
    async openPresets() {
      const dialog = this.$refs.presetsDialog;
      this.presets = { loading: true, error: "", family: this.family, list: [] };
      dialog.showModal();
      if (!this.family) {
        this.presets = { ...this.presets, loading: false, error: "Choose a model family on the Model tab first." };
        return;
      }
      const modelType = this.values.model_type || this.fields.model_type?.default || "lora";
      try {
        const path = `/api/models/${encodeURIComponent(this.family)}/acceleration-presets?model_type=${encodeURIComponent(modelType)}`;
        const reply = await simpletuner.api("GET", path);
        this.presets = { loading: false, error: "", family: reply.family, list: reply.presets };
      } catch (error) {
        this.presets = { ...this.presets, loading: false, error: error.message };
      }
    },
    presetRows(preset) {
      return Object.entries(preset.settings).map(([name, value]) => {
        const spec = this.fields[name];
        const target = spec ? this.formValue(spec, value) : value;
        return {
          name,
          tab: spec ? this.tabOf(name)?.label || "" : "",
          current: spec ? this.displayValue(name, this.values[name]) : "not in this catalogue",
          target: spec ? this.displayValue(name, target) : String(value),
          changes: spec ? target !== this.values[name] : false,
        };
      });
    },
    displayValue(name, value) {
      const spec = this.fields[name];
      if (spec.kind === "bool") return value ? "on" : "off";
      if (String(value).trim() === "") return `default (${this.placeholderOf(name) || "not set"})`;
      return String(value);
    },
    applyPreset(preset) {
      let count = 0;
      for (const [name, value] of Object.entries(preset.settings)) {
        const spec = this.fields[name];
        if (!spec || !this.editable(name)) continue;
        const target = this.formValue(spec, value);
        if (target !== this.values[name]) count += 1;
        this.values[name] = target;
      }
      this.$refs.presetsDialog.close();
      simpletuner.toast(`${preset.label} preset: ${count} option(s) changed. Review them, then Save.`, "success");
      this.validate();
    },
  };
}
