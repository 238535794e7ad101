// Environments: the Environments page (list, activate, download, duplicate, rename, delete, import, the
// "Use environment defaults" switch) and the new-environment form it shares with onboarding.
// Everything goes through /api/configs and /api/webui, which check permissions again.
"use strict";

// A service refusal's field ({detail, field}) or FastAPI's 422 list ({loc: ["body", field], msg}) as {field: text}.
function fieldErrors(error) {
  const body = (error && error.body) || {};
  if (body.field) return { [body.field]: error.message };
  if (Array.isArray(body.detail)) {
    const found = {};
    for (const item of body.detail) {
      const field = (item.loc || []).filter((part) => part !== "body").join(".") || "form";
      found[field] = found[field] ? `${found[field]}\n${item.msg}` : item.msg;
    }
    return found;
  }
  return { form: error.message };
}

// Tells the header's switcher (and any other listener) that the environments or the active one changed.
function announceEnvironments(name, source) {
  window.dispatchEvent(new CustomEvent("environment-changed", { detail: { name, source } }));
}

// The new-environment form: Bootstrap From Example, or an empty environment of one model family.
function environmentCreator() {
  return {
    mode: "example",
    name: "",
    example: "",
    modelFamily: "",
    examples: [],
    families: [],
    errors: {},
    loaded: false,
    suggested: "",
    async loadChoices() {
      if (this.loaded) return;
      try {
        const [examples, family] = await Promise.all([
          simpletuner.api("GET", "/api/configs/examples"),
          simpletuner.api("GET", "/api/fields/field/model_family"),
        ]);
        this.examples = examples.examples || [];
        this.families = family.choices || [];
        this.loaded = true;
        const first = this.examples.find((e) => e.self_contained) || this.examples[0];
        if (first && !this.example) this.pick(first.name);
      } catch (error) {
        this.errors = { form: `The examples could not be loaded: ${error.message}` };
      }
    },
    // Picking an example proposes its name, unless the user typed one of their own.
    pick(name) {
      this.example = name;
      if (!this.name || this.name === this.suggested) {
        this.suggested = name;
        this.name = name;
      }
    },
    describe(example) {
      const kind = example.model_type === "lora" ? `${example.lora_type || "standard"} LoRA` : "full fine-tune";
      return `${example.model_family} · ${kind}`;
    },
    // The body of POST /api/configs/environments (and of onboarding's environment step), or null with errors set.
    spec() {
      const errors = {};
      const name = this.name.trim();
      if (!name) errors.name = "Give the environment a name.";
      else if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name)) {
        errors.name = "Use letters, digits, '.', '_' or '-' (it becomes a folder name), starting with a letter or digit.";
      }
      if (this.mode === "example" && !this.example) errors.example = "Pick an example to start from.";
      if (this.mode === "empty" && !this.modelFamily) errors.model_family = "Pick the model family to train.";
      this.errors = errors;
      if (Object.keys(errors).length) return null;
      return this.mode === "example" ? { name, example: this.example } : { name, model_family: this.modelFamily };
    },
    reset() {
      this.name = this.suggested = "";
      this.errors = {};
      const first = this.examples.find((e) => e.self_contained) || this.examples[0];
      this.example = "";
      if (first) this.pick(first.name);
    },
  };
}

function environmentsPage() {
  const can = simpletuner.can;
  return {
    me: window.SIMPLETUNER_USER || {},
    allowed: {
      create: can("config.create"),
      editOwn: can("config.edit.own"),
      editAll: can("config.edit.all"),
      deleteOwn: can("config.delete.own"),
      deleteAll: can("config.delete.all"),
    },
    environments: [],
    active: "",
    defaultName: "default",
    configsDir: "",
    owners: {},
    loading: true,
    loadError: "",
    rowErrors: {},
    announcement: "",
    creator: environmentCreator(),
    createActivate: true,
    dialog: { kind: "", environment: null, value: "", error: "", busy: false, overwrite: false, file: null },

    async init() {
      window.addEventListener("environment-changed", (event) => {
        if ((event.detail || {}).source !== "environments") this.load();
      });
      await Promise.all([this.load(), this.loadWorkspace(), this.loadOwners()]);
    },
    async load() {
      try {
        const data = await simpletuner.api("GET", "/api/configs/");
        this.active = data.active || "";
        // Default first (it is special), then by name
        this.environments = (data.configs || []).sort(
          (a, b) => (b.name === this.defaultName) - (a.name === this.defaultName) || a.name.localeCompare(b.name),
        );
        this.loadError = "";
      } catch (error) {
        this.loadError = `The environments could not be loaded: ${error.message}`;
      } finally {
        this.loading = false;
      }
    },
    async loadWorkspace() {
      try {
        const state = await simpletuner.api("GET", "/api/webui/state");
        this.defaultName = state.workspace.default_environment;
        this.configsDir = state.workspace.configs_dir;
      } catch {
        // the folder is shown as a courtesy; the list works without it
      }
    },
    async loadOwners() {
      if (!can("admin.users")) return;
      try {
        const data = await simpletuner.api("GET", "/api/users?include_inactive=true");
        const users = Array.isArray(data) ? data : data.users || [];
        this.owners = Object.fromEntries(users.map((user) => [user.id, user.username]));
      } catch {
        // without the user list, owners other than you are shown as "another user"
      }
    },

    isDefault(env) {
      return env.name === this.defaultName;
    },
    hasDefault() {
      return this.environments.some((env) => this.isDefault(env));
    },
    owner(env) {
      if (!env.owner_id) return "—";
      if (env.owner_id === this.me.id) return "you";
      return this.owners[env.owner_id] || "another user";
    },
    mine(env) {
      return env.owner_id === this.me.id;
    },
    mayEdit(env) {
      return this.allowed.editAll || (this.allowed.editOwn && this.mine(env));
    },
    mayDelete(env) {
      return this.allowed.deleteAll || (this.allowed.deleteOwn && this.mine(env));
    },
    model(env) {
      if (!env.model_family) return "—";
      return env.model_type ? `${env.model_family} · ${env.model_type}` : env.model_family;
    },
    updated(env) {
      if (!env.updated_at) return "—";
      return new Date(env.updated_at).toLocaleDateString(undefined, { dateStyle: "medium" });
    },
    updatedFull(env) {
      return env.updated_at ? new Date(env.updated_at).toLocaleString() : "";
    },
    exportUrl(env) {
      return `/api/configs/${encodeURIComponent(env.name)}/export`;
    },
    say(text) {
      this.announcement = text;
      simpletuner.toast(text, "success");
    },

    async activate(env) {
      this.rowErrors = { ...this.rowErrors, [env.name]: "" };
      try {
        await simpletuner.api("POST", `/api/configs/${encodeURIComponent(env.name)}/activate`);
        this.active = env.name;
        await this.load();
        announceEnvironments(env.name, "environments");
        this.say(`Environment ${env.name} is active`);
      } catch (error) {
        this.rowErrors = { ...this.rowErrors, [env.name]: error.message };
      }
    },
    async toggleDefaults(env, event) {
      const wanted = event.target.checked;
      this.rowErrors = { ...this.rowErrors, [env.name]: "" };
      try {
        const reply = await simpletuner.api("PATCH", `/api/configs/${encodeURIComponent(env.name)}`, {
          use_environment_defaults: wanted,
        });
        env.use_environment_defaults = reply.metadata.use_environment_defaults;
        this.say(`${env.name} ${wanted ? "now merges in" : "no longer merges in"} the ${this.defaultName} environment`);
      } catch (error) {
        event.target.checked = !wanted;
        this.rowErrors = { ...this.rowErrors, [env.name]: error.message };
      }
    },

    open(kind, env = null) {
      const values = { duplicate: env ? `${env.name}-copy` : "", rename: env ? env.name : "" };
      this.dialog = { kind, environment: env, value: values[kind] || "", error: "", busy: false, overwrite: false, file: null };
      if (kind === "create") {
        this.creator.reset();
        this.creator.loadChoices();
      }
      this.$nextTick(() => this.$refs[`${kind}Dialog`].showModal());
    },
    close() {
      const ref = this.$refs[`${this.dialog.kind}Dialog`];
      if (ref) ref.close();
    },
    // Runs one dialog's action; its error stays in the dialog, next to what to fix.
    async run(action) {
      this.dialog.busy = true;
      this.dialog.error = "";
      try {
        const message = await action();
        this.close();
        await this.load();
        announceEnvironments(this.active, "environments");
        this.say(message);
      } catch (error) {
        this.dialog.error = error.message;
      } finally {
        this.dialog.busy = false;
      }
    },
    create() {
      const spec = this.creator.spec();
      if (!spec) return;
      return this.run(async () => {
        try {
          const reply = await simpletuner.api("POST", "/api/configs/environments", spec);
          if (this.createActivate) {
            await simpletuner.api("POST", `/api/configs/${encodeURIComponent(reply.environment.name)}/activate`);
          }
          return reply.message;
        } catch (error) {
          this.creator.errors = fieldErrors(error);
          if (error.status === 409) this.creator.errors = { name: error.message };
          throw error;
        }
      });
    },
    duplicate() {
      const env = this.dialog.environment;
      return this.run(async () => {
        const reply = await simpletuner.api("POST", `/api/configs/${encodeURIComponent(env.name)}/copy`, {
          target_name: this.dialog.value.trim(),
        });
        return reply.message;
      });
    },
    rename() {
      const env = this.dialog.environment;
      return this.run(async () => {
        const reply = await simpletuner.api("POST", `/api/configs/${encodeURIComponent(env.name)}/rename`, {
          new_name: this.dialog.value.trim(),
        });
        if (this.active === env.name) this.active = reply.environment.name;
        return reply.message;
      });
    },
    remove() {
      const env = this.dialog.environment;
      return this.run(async () => {
        const reply = await simpletuner.api("DELETE", `/api/configs/${encodeURIComponent(env.name)}`);
        return reply.message;
      });
    },
    pickFile(event) {
      this.dialog.file = event.target.files[0] || null;
      this.dialog.error = "";
    },
    importFile() {
      if (!this.dialog.file) {
        this.dialog.error = "Choose a file exported from an Environments page (Download) first.";
        return;
      }
      return this.run(async () => {
        const text = await this.dialog.file.text();
        const body = { data: text, overwrite: this.dialog.overwrite };
        if (this.dialog.value.trim()) body.name = this.dialog.value.trim();
        const reply = await simpletuner.api("POST", "/api/configs/import", body);
        return reply.message;
      });
    },
    createDefault() {
      return this.runInline(async () => {
        await simpletuner.api("POST", "/api/configs/import", { data: {}, name: this.defaultName });
        return `The ${this.defaultName} environment was created: values you set in it apply to every environment using defaults`;
      });
    },
    async runInline(action) {
      try {
        const message = await action();
        await this.load();
        announceEnvironments(this.active, "environments");
        this.say(message);
      } catch (error) {
        this.loadError = error.message;
      }
    },
  };
}
