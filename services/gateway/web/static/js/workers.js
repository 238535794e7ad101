// The Workers page (admins): remote GPU machines that take queued jobs, their tokens and their lifecycle.
// Everything goes through /api/admin/workers, which checks admin.workers again.
"use strict";

const WORKERS_POLL_MS = 5000; // heartbeats change the table every few seconds; no route streams them
const WORKER_STATES = ["idle", "busy", "draining", "connecting", "offline"];
const LABEL_PAIR = /^([A-Za-z0-9_.\-/]+)\s*=\s*(.+)$/;

// "gpu_type=a100-80g, team=nlp" (commas or new lines) -> {labels} or {error} naming the item to fix.
function parseLabels(text) {
  const labels = {};
  for (const item of text.split(/[,\n]/).map((part) => part.trim()).filter(Boolean)) {
    const match = LABEL_PAIR.exec(item);
    if (!match) return { error: `"${item}" is not key=value (for example gpu_type=a100-80g)` };
    labels[match[1]] = match[2].trim();
  }
  return { labels };
}

function workersPage() {
  return {
    workers: [],
    loaded: false,
    loadError: "",
    lastUpdated: null,
    refreshing: false,
    now: Date.now(),
    announcement: "",
    form: { name: "", worker_type: "persistent", labels: "" },
    formErrors: {},
    creating: false,
    secret: null, // {title, worker, token, connection_command}: shown once, forgotten when the dialog closes
    confirm: { kind: "", worker: null, error: "", busy: false },

    async init() {
      await this.refresh();
      this.loaded = true;
      setInterval(() => {
        this.now = Date.now();
      }, 1000);
      setInterval(() => {
        if (!document.hidden) this.refresh();
      }, WORKERS_POLL_MS);
    },

    async refresh() {
      if (this.refreshing) return;
      this.refreshing = true;
      try {
        this.workers = (await simpletuner.api("GET", "/api/admin/workers")).workers;
        this.loadError = "";
        this.lastUpdated = Date.now();
        const summary = this.countsText;
        if (summary !== this.announcement) this.announcement = summary;
      } catch (error) {
        this.loadError = `Could not load the workers: ${error.message}`;
      } finally {
        this.refreshing = false;
      }
    },

    get countsText() {
      if (!this.workers.length) return "No workers";
      return WORKER_STATES.map((state) => [state, this.workers.filter((w) => w.status === state).length])
        .filter(([, count]) => count)
        .map(([state, count]) => `${count} ${state}`)
        .join(" · ");
    },

    get updatedText() {
      return this.lastUpdated ? `Updated ${simpletuner.formatAgo(this.lastUpdated)}` : "Loading…";
    },

    gpuText(worker) {
      if (!worker.gpu_count) return worker.status === "connecting" ? "not reported yet" : "no GPU";
      return `${worker.gpu_name || "GPU"} × ${worker.gpu_count}`;
    },

    labelPairs(worker) {
      return Object.entries(worker.labels || {})
        .sort(([a], [b]) => a.localeCompare(b)) // the API's map has no order: keep rows from shuffling
        .map(([key, value]) => `${key}=${value}`);
    },

    heartbeatText(worker) {
      void this.now; // re-evaluated every second
      return worker.last_heartbeat ? simpletuner.formatAgo(worker.last_heartbeat) : "never";
    },

    heartbeatTitle(worker) {
      return worker.last_heartbeat ? new Date(worker.last_heartbeat).toLocaleString() : "";
    },

    mayDrain(worker) {
      return ["idle", "busy", "connecting"].includes(worker.status);
    },

    // ---- adding a worker

    openAdd() {
      this.form = { name: "", worker_type: "persistent", labels: "" };
      this.formErrors = {};
      this.$refs.addDialog.showModal();
    },

    async create() {
      this.formErrors = {};
      const name = this.form.name.trim();
      if (!name) this.formErrors.name = "Give the worker a name, for example gpu-box-1.";
      const parsed = parseLabels(this.form.labels);
      if (parsed.error) this.formErrors.labels = parsed.error;
      if (Object.keys(this.formErrors).length) return;
      this.creating = true;
      try {
        const body = { name, worker_type: this.form.worker_type, labels: parsed.labels };
        const made = await simpletuner.api("POST", "/api/admin/workers", body);
        this.$refs.addDialog.close();
        this.showSecret(`Worker ${made.worker.name} added`, made.worker.name, made);
        await this.refresh();
      } catch (error) {
        const field = error.status === 409 ? "name" : "form";
        this.formErrors[field] = error.message;
      } finally {
        this.creating = false;
      }
    },

    // ---- the token, shown once

    showSecret(title, workerName, reply) {
      this.secret = { title, worker: workerName, token: reply.token, command: reply.connection_command };
      this.$refs.tokenDialog.showModal();
    },

    forgetSecret() {
      this.secret = null; // the token lives only in this dialog: closing it drops the page's only copy
    },

    async copy(text, what) {
      if (await simpletuner.copyText(text)) {
        simpletuner.toast(`${what} copied`, "success");
      } else {
        simpletuner.toast(`The browser refused to copy: select the ${what.toLowerCase()} and copy it by hand`, "warning");
      }
    },

    // ---- drain, rotate, remove (each confirmed first)

    ask(kind, worker) {
      this.confirm = { kind, worker, error: "", busy: false };
      this.$refs.confirmDialog.showModal();
    },

    get confirmTitle() {
      const name = this.confirm.worker ? this.confirm.worker.name : "";
      return { drain: `Drain ${name}?`, rotate: `New token for ${name}?`, remove: `Remove ${name}?` }[this.confirm.kind];
    },

    get confirmLabel() {
      return { drain: "Drain", rotate: "Make a new token", remove: "Remove worker" }[this.confirm.kind];
    },

    async confirmAction() {
      const { kind, worker } = this.confirm;
      const base = `/api/admin/workers/${encodeURIComponent(worker.worker_id)}`;
      this.confirm.busy = true;
      this.confirm.error = "";
      try {
        let reply = null;
        if (kind === "drain") {
          await simpletuner.api("POST", `${base}/drain`);
          simpletuner.toast(`${worker.name} is draining: it finishes its job and takes no other`, "success");
        } else if (kind === "remove") {
          await simpletuner.api("DELETE", base);
          simpletuner.toast(`${worker.name} removed`, "success");
        } else {
          reply = await simpletuner.api("POST", `${base}/token`);
        }
        this.$refs.confirmDialog.close();
        if (reply) this.showSecret(`New token for ${worker.name}`, worker.name, reply);
        await this.refresh();
      } catch (error) {
        this.confirm.error = error.message;
      } finally {
        this.confirm.busy = false;
      }
    },
  };
}
