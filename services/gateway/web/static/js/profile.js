// Profile: who you are, changing your password, and your API keys (the full key is shown once, at creation).
"use strict";

function profilePage() {
  return {
    ...accounts.confirmable(),
    me: {},
    catalogue: [],
    loadError: "",
    when: accounts.when,
    short: accounts.short,
    password: { current: "", next: "", confirm: "" },
    errors: {},
    passwordBusy: false,
    passwordChanged: false,
    canUseKeys: simpletuner.can("api.access"),
    keys: [],
    keysLoaded: false,
    keysError: "",
    keyForm: { name: "", expires: "", scopes: [] },
    keyError: "",
    keyBusy: false,
    created: null, // {key, key_info} of the key just made: the only time the full key exists in the page
    copied: "",

    async init() {
      try {
        [this.me, this.catalogue] = await Promise.all([
          simpletuner.api("GET", "/api/auth/me"),
          simpletuner.api("GET", "/api/users/meta/permissions"),
        ]);
      } catch (error) {
        this.loadError = `Could not load your account: ${error.message}`;
      }
      if (simpletuner.can("api.keys.own")) await this.loadKeys();
    },
    get permissionGroups() {
      return accounts.groupPermissions(this.catalogue, this.me.permissions || []);
    },

    async changePassword() {
      const { current, next, confirm } = this.password;
      const errors = {};
      if (!current) errors.current = "Type your current password.";
      if (next.length < 8) errors.next = "The new password needs at least 8 characters.";
      else if (next === current) errors.next = "The new password is the same as the current one.";
      if (confirm !== next) errors.confirm = "The two new passwords differ; type the same one twice.";
      this.errors = errors;
      if (Object.keys(errors).length) return;
      this.passwordBusy = true;
      try {
        await simpletuner.api("POST", "/api/auth/change-password", { current_password: current, new_password: next });
        this.password = { current: "", next: "", confirm: "" };
        this.passwordChanged = true;
      } catch (error) {
        // The service names the field it refuses; a wrong current password belongs under that field.
        if (/current password/i.test(error.message)) this.errors = { current: capitalise(error.message) };
        else if (/new_password|password must/i.test(error.message)) this.errors = { next: capitalise(error.message) };
        else this.errors = { form: error.message };
      } finally {
        this.passwordBusy = false;
      }
    },

    async loadKeys() {
      try {
        this.keys = await simpletuner.api("GET", "/api/auth/api-keys");
        this.keysError = "";
      } catch (error) {
        this.keysError = `Could not list your API keys: ${error.message}`;
      } finally {
        this.keysLoaded = true;
      }
    },
    keyState(key) {
      if (key.is_active) return "Active";
      return key.expires_at && new Date(key.expires_at) <= new Date() ? "Expired" : "Revoked";
    },
    async createKey() {
      const { name, expires, scopes } = this.keyForm;
      if (!name.trim()) {
        this.keyError = "Give the key a name, e.g. where it is used.";
        return;
      }
      this.keyBusy = true;
      this.keyError = "";
      try {
        const body = { name: name.trim(), expires_days: expires ? Number(expires) : null, scoped_permissions: scopes };
        this.created = await simpletuner.api("POST", "/api/auth/api-keys", body);
        this.copied = "";
        this.keyForm = { name: "", expires: "", scopes: [] };
        await this.loadKeys();
        this.$nextTick(() => document.getElementById("new-key").focus());
      } catch (error) {
        this.keyError = error.message;
      } finally {
        this.keyBusy = false;
      }
    },
    get curlExample() {
      if (!this.created) return "";
      return `curl -s ${window.location.origin}/api/training/status \\\n  -H 'X-API-Key: ${this.created.key}'`;
    },
    async copy(text, elementId, done) {
      if (await simpletuner.copyText(text)) {
        this.copied = done;
        return;
      }
      // No clipboard access (plain http on another host): select it so Ctrl+C / long-press copies it.
      const element = document.getElementById(elementId);
      element.focus();
      if (element.select) element.select();
      else window.getSelection().selectAllChildren(element);
      this.copied = "Your browser blocked copying: the text is selected, copy it with Ctrl+C (⌘C).";
    },
    revoke(key) {
      this.ask({
        title: `Revoke key ${key.name}?`,
        message: `Scripts using ${key.key_prefix}… get 401 Unauthorized from now on. This cannot be undone.`,
        action: "Revoke key",
        run: async () => {
          await simpletuner.api("DELETE", `/api/auth/api-keys/${encodeURIComponent(key.id)}`);
          if (this.created && this.created.key_info.id === key.id) this.created = null;
          await this.loadKeys();
          simpletuner.toast(`Key ${key.name} revoked`, "success");
        },
      });
    },
  };
}

function capitalise(text) {
  return text.charAt(0).toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? "" : ".");
}
