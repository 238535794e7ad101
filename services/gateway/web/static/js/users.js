// Manage Users: the page's tabs (users, levels and resource rules, auth providers, registration), all through
// /api/users and /api/auth. The page shares `users`, `levels` and the permission catalogue with its tab panels.
"use strict";

const api = (...args) => simpletuner.api(...args);
const userPath = (id, rest = "") => `/api/users/${encodeURIComponent(id)}${rest}`;

// Labels of resource-rule kinds; the kinds themselves come from GET /api/users/meta/resource-types.
const RESOURCE_LABELS = { config: "Environment (config)", hardware: "Hardware", provider: "Provider", output_path: "Output path" };

// A dialog's submit: `busy` while it runs (the button is disabled), its error in `this[errorField]`.
function busyForm() {
  return {
    busy: false,
    async busyWith(errorField, work) {
      this.busy = true;
      this[errorField] = "";
      try {
        await work();
      } catch (error) {
        this[errorField] = error.message;
      } finally {
        this.busy = false;
      }
    },
  };
}

function manageUsers() {
  return {
    ...accounts.confirmable(),
    tab: "users",
    me: (window.SIMPLETUNER_USER || {}).id,
    users: [],
    levels: [],
    catalogue: [],
    loading: true,
    loadError: "",
    when: accounts.when,
    short: accounts.short,

    async init() {
      this.tab = this.tabFromHash();
      window.addEventListener("hashchange", () => (this.tab = this.tabFromHash()));
      await this.reload();
    },
    tabIds() {
      return [...this.$root.querySelectorAll('[role="tab"]')].map((el) => el.id.replace(/^tab-/, ""));
    },
    tabFromHash() {
      const wanted = window.location.hash.slice(1);
      return this.tabIds().includes(wanted) ? wanted : "users";
    },
    select(id, focus = false) {
      this.tab = id;
      history.replaceState(null, "", `#${id}`);
      if (focus) document.getElementById(`tab-${id}`).focus();
    },
    // Arrow keys move between tabs, Home/End jump to the first/last (the WAI-ARIA tabs pattern).
    tabKey(event) {
      const ids = this.tabIds();
      const at = ids.indexOf(this.tab);
      const next = { ArrowRight: at + 1, ArrowLeft: at - 1 + ids.length, Home: 0, End: ids.length - 1 }[event.key];
      if (next === undefined) return;
      event.preventDefault();
      this.select(ids[next % ids.length], true);
    },

    async reload() {
      try {
        const [users, levels, catalogue] = await Promise.all([
          api("GET", "/api/users?include_inactive=true"),
          api("GET", "/api/users/meta/levels"),
          api("GET", "/api/users/meta/permissions"),
        ]);
        Object.assign(this, { users, levels, catalogue, loadError: "" });
      } catch (error) {
        this.loadError = `Could not load users and levels: ${error.message}`;
      } finally {
        this.loading = false;
      }
    },
    async reloadLevels() {
      this.levels = await api("GET", "/api/users/meta/levels");
    },
    get permissionGroups() {
      return accounts.groupPermissions(this.catalogue);
    },
    putUser(user) {
      const at = this.users.findIndex((u) => u.id === user.id);
      if (at >= 0) this.users.splice(at, 1, user);
      else this.users = [...this.users, user].sort((a, b) => a.username.localeCompare(b.username));
    },
    holders(level) {
      return this.users.filter((user) => user.levels.some((held) => held.id === level.id)).length;
    },
    levelNames(ids) {
      return ids.map((id) => (this.levels.find((level) => level.id === id) || { name: id }).name);
    },
  };
}

function usersPanel() {
  return {
    query: "",
    status: "all",
    levelFilter: "",
    create: {},
    createError: "",
    edit: null,
    editError: "",
    rowError: "",
    ...busyForm(),

    get shown() {
      const words = this.query.trim().toLowerCase();
      return this.users.filter(
        (user) =>
          (this.status === "all" || (this.status === "active") === user.is_active) &&
          (!this.levelFilter || user.levels.some((level) => level.name === this.levelFilter)) &&
          (!words || [user.username, user.email, user.display_name].some((v) => (v || "").toLowerCase().includes(words))),
      );
    },

    openCreate() {
      this.create = { email: "", username: "", password: "", display_name: "", level_names: ["researcher"] };
      this.createError = "";
      this.$refs.createDialog.showModal();
    },
    async submitCreate() {
      if (!this.create.level_names.length) {
        this.createError = "Pick at least one level: it decides what the new user may do.";
        return;
      }
      await this.busyWith("createError", async () => {
        const user = await api("POST", "/api/users", this.create);
        this.putUser(user);
        this.$refs.createDialog.close();
        simpletuner.toast(`User ${user.username} created`, "success");
      });
    },

    openEdit(user) {
      const overrides = {};
      for (const { name } of this.catalogue) {
        const held = user.permission_overrides[name];
        overrides[name] = held === undefined ? "" : held ? "grant" : "revoke";
      }
      this.edit = {
        user,
        email: user.email,
        display_name: user.display_name,
        password: "",
        level_names: user.levels.map((level) => level.name),
        overrides,
        before: { ...overrides },
      };
      this.editError = "";
      this.$refs.editDialog.showModal();
    },
    // Whether the levels ticked in the dialog grant a permission (what "Levels decide" would give).
    fromLevels(name) {
      return this.levels.some((level) => this.edit.level_names.includes(level.name) && level.permissions.includes(name));
    },
    async submitEdit() {
      const edit = this.edit;
      if (!edit.level_names.length) {
        this.editError = "Keep at least one level; to stop someone signing in, deactivate them instead.";
        return;
      }
      await this.busyWith("editError", async () => {
        const body = { email: edit.email, display_name: edit.display_name, level_names: edit.level_names };
        if (edit.password) body.password = edit.password;
        let user = await api("PATCH", userPath(edit.user.id), body);
        for (const [name, choice] of Object.entries(edit.overrides)) {
          if (choice === edit.before[name]) continue;
          user = choice
            ? await api("POST", userPath(edit.user.id, "/permissions"), { permission_name: name, granted: choice === "grant" })
            : await api("DELETE", userPath(edit.user.id, `/permissions/${encodeURIComponent(name)}`));
          edit.before[name] = choice; // a later failure must not re-send what already succeeded
        }
        this.putUser(user);
        this.$refs.editDialog.close();
        simpletuner.toast(`Saved ${user.username}`, "success");
      });
    },

    async toggleActive(user) {
      if (!user.is_active) {
        this.rowError = "";
        try {
          this.putUser(await api("POST", userPath(user.id, "/activate")));
          simpletuner.toast(`${user.username} can sign in again`, "success");
        } catch (error) {
          this.rowError = `Could not activate ${user.username}: ${error.message}`;
        }
        return;
      }
      this.ask({
        title: `Deactivate ${user.username}?`,
        message: "They are signed out at once, cannot sign in, and their API keys stop working until you activate them again.",
        action: "Deactivate",
        run: async () => this.putUser(await api("POST", userPath(user.id, "/deactivate"))),
      });
    },
    remove(user) {
      this.ask({
        title: `Delete ${user.username}?`,
        message: "Their account, sessions and API keys are deleted. This cannot be undone; to keep the account, deactivate it instead.",
        action: "Delete user",
        run: async () => {
          await api("DELETE", userPath(user.id));
          this.users = this.users.filter((u) => u.id !== user.id);
          simpletuner.toast(`Deleted ${user.username}`, "success");
        },
      });
    },

  };
}

function levelsPanel() {
  return {
    canLevels: simpletuner.can("admin.levels"),
    rules: [],
    ruleLevel: "",
    rulesError: "",
    resourceTypes: [],
    level: { permissions: [] },
    levelError: "",
    rule: { level_ids: [] },
    ruleError: "",
    ...busyForm(),

    async init() {
      if (!this.canLevels) return;
      try {
        this.resourceTypes = await api("GET", "/api/users/meta/resource-types");
      } catch (error) {
        this.rulesError = `Could not load the kinds of resource: ${error.message}`;
      }
      await this.loadRules();
    },
    groupsOf(names) {
      return accounts.groupPermissions(this.catalogue, names);
    },
    typeLabel(name) {
      return RESOURCE_LABELS[name] || name;
    },

    openLevel(level) {
      this.level = level
        ? { ...level, original: level.name, permissions: [...level.permissions] }
        : { id: "", name: "", description: "", priority: 20, permissions: [], is_system: false };
      this.levelError = "";
      this.$refs.levelDialog.showModal();
    },
    async submitLevel() {
      const level = this.level;
      const body = level.is_system
        ? { description: level.description }
        : { name: level.name, description: level.description, priority: level.priority, permissions: level.permissions };
      await this.busyWith("levelError", async () => {
        const saved = level.id
          ? await api("PUT", `/api/users/levels/${encodeURIComponent(level.id)}`, body)
          : await api("POST", "/api/users/levels", body);
        await this.reloadLevels();
        this.$refs.levelDialog.close();
        simpletuner.toast(`Level ${saved.name} ${level.id ? "saved" : "created"}`, "success");
      });
    },
    removeLevel(level) {
      const holders = this.holders(level);
      this.ask({
        title: `Delete level ${level.name}?`,
        message: `${holders} user(s) hold it and lose its permissions; their other levels stay. Its resource rules stop applying to it.`,
        action: "Delete level",
        run: async () => {
          await api("DELETE", `/api/users/levels/${encodeURIComponent(level.id)}`);
          await Promise.all([this.reload(), this.loadRules()]);
          simpletuner.toast(`Level ${level.name} deleted`, "success");
        },
      });
    },

    async loadRules() {
      this.rulesError = "";
      try {
        this.rules = this.ruleLevel
          ? await api("GET", `/api/users/levels/${encodeURIComponent(this.ruleLevel)}/rules`)
          : await api("GET", "/api/users/resource-rules");
      } catch (error) {
        this.rulesError = `Could not load resource rules: ${error.message}`;
      }
    },
    showRules(level) {
      this.ruleLevel = level.id;
      this.loadRules();
      document.getElementById("resource-rules").scrollIntoView({ behavior: "smooth", block: "start" });
    },
    openRule() {
      const first = this.resourceTypes[0];
      this.rule = {
        name: "",
        resource_type: first ? first.name : "",
        pattern: "",
        action: "allow",
        description: "",
        level_ids: this.ruleLevel ? [this.ruleLevel] : [],
      };
      this.ruleError = "";
      this.$refs.ruleDialog.showModal();
    },
    async submitRule() {
      if (!this.rule.level_ids.length) {
        this.ruleError = "Pick at least one level: a rule applies only to the holders of its levels.";
        return;
      }
      await this.busyWith("ruleError", async () => {
        const saved = await api("POST", "/api/users/resource-rules", this.rule);
        await this.loadRules();
        this.$refs.ruleDialog.close();
        simpletuner.toast(`Rule ${saved.name} created`, "success");
      });
    },
    removeRule(rule) {
      this.ask({
        title: `Delete rule ${rule.name}?`,
        message: `It stops applying to ${this.levelNames(rule.level_ids).join(", ") || "its levels"} at once.`,
        action: "Delete rule",
        run: async () => {
          await api("DELETE", `/api/users/resource-rules/${encodeURIComponent(rule.id)}`);
          await this.loadRules();
        },
      });
    },

  };
}

function providersPanel() {
  return {
    keys: null, // everyone's keys; null when the viewer may not list them
    keysError: "",
    registrationOn: null,

    async init() {
      const [keys, registration] = await Promise.allSettled([
        simpletuner.can("api.keys.all") ? api("GET", "/api/auth/api-keys?all_users=true") : Promise.resolve(null),
        api("GET", "/api/users/registration"),
      ]);
      if (keys.status === "fulfilled") this.keys = keys.value;
      else this.keysError = `Could not count API keys: ${keys.reason.message}`;
      if (registration.status === "fulfilled") this.registrationOn = registration.value.enabled;
    },
    // Users per auth_provider value, as the accounts record it.
    get providerCounts() {
      const counts = new Map();
      for (const user of this.users) {
        const row = counts.get(user.auth_provider) || { provider: user.auth_provider, total: 0, active: 0 };
        row.total += 1;
        row.active += user.is_active ? 1 : 0;
        counts.set(user.auth_provider, row);
      }
      return [...counts.values()].sort((a, b) => b.total - a.total);
    },
    get activeKeys() {
      return (this.keys || []).filter((key) => key.is_active);
    },
    get keyCreators() {
      const levels = this.levels.filter((level) => level.permissions.includes("api.keys.own")).map((l) => `level ${l.name}`);
      const granted = this.users
        .filter((user) => user.permission_overrides["api.keys.own"] === true)
        .map((user) => `${user.username} (override)`);
      return [...levels, ...granted].join(", ") || "nobody";
    },
    ownerName(userId) {
      const owner = this.users.find((user) => user.id === userId);
      return owner ? owner.username : "deleted user";
    },
    revoke(key) {
      this.ask({
        title: `Revoke key ${key.name}?`,
        message: `Scripts using ${key.key_prefix}… (owner ${this.ownerName(key.user_id)}) get 401 from now on.`,
        action: "Revoke key",
        run: async () => {
          await api("DELETE", `/api/auth/api-keys/${encodeURIComponent(key.id)}`);
          this.keys = await api("GET", "/api/auth/api-keys?all_users=true");
        },
      });
    },
  };
}

function registrationPanel() {
  return {
    saved: null,
    form: { enabled: false, default_level: "researcher" },
    error: "",
    message: "",
    busy: false,

    async init() {
      try {
        this.saved = await api("GET", "/api/users/registration");
        this.reset();
      } catch (error) {
        this.error = `Could not read the registration settings: ${error.message}`;
      }
    },
    get changed() {
      return this.saved !== null && (this.form.enabled !== this.saved.enabled || this.form.default_level !== this.saved.default_level);
    },
    reset() {
      this.form = { ...this.saved };
    },
    async save() {
      this.busy = true;
      this.error = "";
      this.message = "";
      try {
        this.saved = await api("PUT", "/api/users/registration", this.form);
        this.reset();
        this.message = this.saved.enabled
          ? `Self-registration is on; new accounts get the level ${this.saved.default_level}.`
          : "Self-registration is off; only administrators create accounts.";
      } catch (error) {
        this.error = error.message;
      } finally {
        this.busy = false;
      }
    },
  };
}
