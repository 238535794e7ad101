// The Queue page: who waits for which GPUs, who runs where, and (for those allowed) steering the queue.
// Everything comes from the documented /api/queue, /api/approvals, /api/quotas and /api/system routes,
// which check permissions again; the buttons shown here follow the same permissions as a courtesy.
"use strict";

const QUEUE_POLL_MS = 5000; // no route streams job state changes to the browser, so the page polls
const WAITING_STATES = ["pending_approval", "queued"];
const ACTIVE_STATES = [...WAITING_STATES, "running"];
const FINISHED_STATES = ["completed", "failed", "cancelled", "rejected", "stopped"];
const LIMIT_FIELDS = [
  "max_concurrent",
  "user_max_concurrent",
  "team_max_concurrent",
  "local_gpu_max_concurrent",
  "local_job_max_concurrent",
];
const QUOTA_NAMES = {
  concurrent_jobs: "Jobs at once",
  gpus: "GPUs at once",
  jobs_per_hour: "Jobs per hour",
  jobs_per_day: "Jobs per day",
  cost_daily: "Spend today",
  cost_monthly: "Spend this month",
};

function statusWord(status) {
  return (status || "unknown").replace(/_/g, " ");
}

function stateRank(status) {
  const rank = ["running", "pending_approval", "queued"].indexOf(status);
  return rank < 0 ? 3 : rank;
}

function shortId(id) {
  return id ? id.slice(0, 8) : "–";
}

// FastAPI's 422 details ({loc: ["body", field], msg}) as {field: message}; other errors under "form".
function errorsByField(error) {
  const detail = error && error.body && error.body.detail;
  if (!Array.isArray(detail)) return { form: error.message };
  const found = {};
  for (const item of detail) {
    const field = (item.loc || []).filter((part) => part !== "body" && part !== "query").join(".") || "form";
    found[field] = found[field] ? `${found[field]}\n${item.msg}` : item.msg;
  }
  return found;
}

function queuePage() {
  const can = simpletuner.can;
  return {
    me: window.SIMPLETUNER_USER || {},
    allowed: {
      viewAll: can("queue.view.all"),
      cancelAll: can("queue.cancel.all"),
      approve: can("queue.approve"),
      manage: can("queue.manage"),
      adminQueue: can("admin.queue"),
      workers: can("admin.workers"),
      viewOwn: can("job.view.own"), // the GPU map and your quota
    },
    stats: null,
    devices: [],
    gpuBackend: "",
    quotas: [],
    gpuHourRate: 0,
    jobs: [],
    total: 0,
    limit: 25,
    offset: 0,
    filter: { status: "", includeCompleted: false, mine: false },
    pending: [],
    pendingCount: 0,
    workerNames: {},
    loaded: false,
    loadError: "",
    lastUpdated: null,
    refreshing: false,
    now: Date.now(),
    announcement: "",
    limitsForm: null,
    limitsErrors: {},
    limitsSaving: false,
    limitsSaved: "",
    cleanupDays: 30,
    cleanupError: "",
    cleanupBusy: false,
    priorityDialog: { job: null, value: "", error: "", busy: false },
    rejectDialog: { job: null, reason: "", error: "", busy: false },
    cancelDialog: { job: null, error: "", busy: false },

    async init() {
      await this.refresh();
      this.loaded = true;
      setInterval(() => {
        this.now = Date.now();
      }, 1000);
      setInterval(() => {
        if (!document.hidden) this.refresh();
      }, QUEUE_POLL_MS);
      document.addEventListener("visibilitychange", () => {
        if (!document.hidden) this.refresh();
      });
    },

    // One round of every read the page shows; the user's dialogs, filters and form edits are left alone.
    async refresh() {
      if (this.refreshing) return;
      this.refreshing = true;
      try {
        await Promise.all([this.loadStats(), this.loadJobs(), this.loadAllocation(), this.loadPending()]);
        if (this.allowed.viewOwn) await this.loadQuotas();
        if (this.allowed.workers) await this.loadWorkerNames();
        this.loadError = "";
        this.lastUpdated = Date.now();
      } catch (error) {
        this.loadError = `Could not refresh the queue: ${error.message}`;
      } finally {
        this.refreshing = false;
      }
    },

    async loadStats() {
      this.stats = await simpletuner.api("GET", "/api/queue/stats");
      if (!this.limitsForm) this.resetLimitsForm();
      const summary = `${this.stats.queue_depth} queued, ${this.stats.running} running`;
      if (summary !== this.announcement) this.announcement = summary;
    },

    async loadJobs() {
      const params = new URLSearchParams({ limit: this.limit, offset: this.offset });
      let path = "/api/queue";
      if (this.filter.mine) {
        path = "/api/queue/me";
        params.set("include_completed", this.filter.includeCompleted);
      } else {
        if (this.filter.status) params.append("status", this.filter.status);
        const finished = FINISHED_STATES.includes(this.filter.status);
        params.set("include_completed", finished || this.filter.includeCompleted);
      }
      const data = await simpletuner.api("GET", `${path}?${params}`);
      // running jobs first; the API's order (queued ones in start order) is kept within each state
      this.jobs = data.jobs.sort((a, b) => stateRank(a.status) - stateRank(b.status));
      this.total = data.total;
      if (this.offset && this.offset >= this.total) {
        this.offset = Math.max(0, this.total - this.limit); // the last page emptied: show the one before
        await this.loadJobs();
      }
    },

    async loadAllocation() {
      if (!this.allowed.viewOwn) return;
      const data = await simpletuner.api("GET", "/api/system/status?include_allocation=true");
      this.devices = data.gpu_allocation.devices;
      this.gpuBackend = data.gpu_inventory.backend;
    },

    async loadPending() {
      if (!this.allowed.approve) return;
      this.pendingCount = (await simpletuner.api("GET", "/api/approvals/requests/pending/count")).count;
      this.pending = this.pendingCount ? (await simpletuner.api("GET", "/api/approvals/requests")).requests : [];
    },

    async loadQuotas() {
      const data = await simpletuner.api("GET", "/api/quotas/me");
      this.quotas = data.quotas;
      this.gpuHourRate = data.gpu_hour_rate;
    },

    async loadWorkerNames() {
      const data = await simpletuner.api("GET", "/api/admin/workers");
      this.workerNames = Object.fromEntries(data.workers.map((w) => [w.worker_id, w.name]));
    },

    applyFilter() {
      this.offset = 0;
      this.refresh();
    },

    page(step) {
      this.offset = Math.max(0, this.offset + step * this.limit);
      this.refresh();
    },

    get pageText() {
      if (!this.total) return "No jobs";
      const last = Math.min(this.offset + this.jobs.length, this.total);
      return `${this.offset + 1}–${last} of ${this.total}`;
    },

    // ---- what a row shows

    statusWord,
    shortId,

    owner(job) {
      return job.owner_id === this.me.id ? `${job.owner} (you)` : job.owner || "–";
    },

    priorityText(job) {
      return `${job.priority_name} · ${job.priority}`;
    },

    priorityNote(job) {
      if (job.priority_override !== null) return `override (base ${job.base_priority})`;
      if (job.priority !== job.base_priority) return `aged up from ${job.base_priority}`;
      return "";
    },

    placement(job) {
      if (job.allocated_worker_id) {
        return `worker ${this.workerNames[job.allocated_worker_id] || shortId(job.allocated_worker_id)}`;
      }
      if (job.allocated_gpus.length) return `local · GPU ${job.allocated_gpus.join(", ")}`;
      const where = { auto: "local or worker", local: "local only", worker: "workers only" }[job.target];
      return `${job.gpu_count} GPU${job.gpu_count === 1 ? "" : "s"} · ${where}`;
    },

    labelsText(job) {
      return Object.entries(job.worker_labels || {})
        .map(([key, value]) => `${key}=${value}`)
        .join(", ");
    },

    waitSeconds(job) {
      const submitted = Date.parse(job.submitted_at);
      if (!submitted) return null;
      const until = job.started_at ? Date.parse(job.started_at) : job.ended_at ? Date.parse(job.ended_at) : this.now;
      return (until - submitted) / 1000;
    },

    waitText(job) {
      const text = simpletuner.formatDuration(this.waitSeconds(job));
      return WAITING_STATES.includes(job.status) ? `${text} so far` : text;
    },

    // today's jobs by their time alone; older ones with their date
    submittedText(job) {
      if (!job.submitted_at) return "–";
      const when = new Date(job.submitted_at);
      const today = when.toDateString() === new Date(this.now).toDateString();
      const time = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      return today ? time : `${when.toLocaleDateString([], { month: "short", day: "numeric" })}, ${time}`;
    },

    submittedTitle(job) {
      return job.submitted_at ? new Date(job.submitted_at).toLocaleString() : "";
    },

    deviceJob(device) {
      return this.jobs.find((job) => job.job_id === device.job_id) || null;
    },

    get allocatedCount() {
      return this.devices.filter((device) => device.allocated).length;
    },

    get workersText() {
      const workers = this.stats && this.stats.workers;
      if (!workers || !workers.total_workers) return "none registered";
      return ["idle", "busy", "draining", "offline", "connecting"]
        .filter((state) => workers[`${state}_workers`])
        .map((state) => `${workers[`${state}_workers`]} ${state}`)
        .join(" · ");
    },

    get updatedText() {
      return this.lastUpdated ? `Updated ${simpletuner.formatAgo(this.lastUpdated)}` : "Loading…";
    },

    quotaName(quota) {
      return QUOTA_NAMES[quota.quota_type] || quota.quota_type;
    },

    quotaValue(quota, value) {
      return quota.quota_type.startsWith("cost_") ? value.toFixed(2) : String(Math.round(value * 100) / 100);
    },

    quotaPercent(quota) {
      return quota.limit > 0 ? Math.min(100, (quota.used / quota.limit) * 100) : 0;
    },

    // ---- what the user may do with a job (the API decides again)

    mayCancel(job) {
      return ACTIVE_STATES.includes(job.status) && (job.owner_id === this.me.id || this.allowed.cancelAll);
    },

    mayPrioritise(job) {
      return this.allowed.manage && WAITING_STATES.includes(job.status);
    },

    mayDecide(job) {
      const own = job.owner_id === this.me.id;
      return job.status === "pending_approval" && this.allowed.approve && (!own || this.allowed.adminQueue);
    },

    // ---- dialogs and actions

    openPriority(job) {
      this.priorityDialog = { job, value: job.priority_override ?? job.priority, error: "", busy: false };
      this.$refs.priorityDialog.showModal();
    },

    async savePriority(clear) {
      const dialog = this.priorityDialog;
      const value = clear ? null : Number(dialog.value);
      if (!clear && (dialog.value === "" || !Number.isInteger(value) || value < 0 || value > 50)) {
        dialog.error = "Enter a whole number from 0 (lowest) to 50 (highest), or clear the override.";
        return;
      }
      dialog.busy = true;
      dialog.error = "";
      try {
        const reply = await simpletuner.api("POST", `/api/queue/${dialog.job.job_id}/priority`, { priority: value });
        this.$refs.priorityDialog.close();
        const text = clear ? "override cleared" : `priority ${reply.new_effective_priority}`;
        simpletuner.toast(`Job ${shortId(dialog.job.job_id)}: ${text}`, "success");
        await this.refresh();
      } catch (error) {
        dialog.error = errorsByField(error).priority || error.message;
      } finally {
        dialog.busy = false;
      }
    },

    openCancel(job) {
      this.cancelDialog = { job, error: "", busy: false };
      this.$refs.cancelDialog.showModal();
    },

    async confirmCancel() {
      const dialog = this.cancelDialog;
      dialog.busy = true;
      dialog.error = "";
      try {
        await simpletuner.api("POST", `/api/queue/${dialog.job.job_id}/cancel`);
        this.$refs.cancelDialog.close();
        simpletuner.toast(`Job ${shortId(dialog.job.job_id)} cancelled`, "success");
        await this.refresh();
      } catch (error) {
        dialog.error = error.message;
      } finally {
        dialog.busy = false;
      }
    },

    async approve(job) {
      try {
        await simpletuner.api("POST", `/api/queue/${job.job_id}/approve`, { reason: "" });
        simpletuner.toast(`Job ${shortId(job.job_id)} approved: it joins the queue`, "success");
      } catch (error) {
        simpletuner.toast(`Could not approve job ${shortId(job.job_id)}: ${error.message}`, "error");
      }
      await this.refresh();
    },

    openReject(job) {
      this.rejectDialog = { job, reason: "", error: "", busy: false };
      this.$refs.rejectDialog.showModal();
    },

    async confirmReject() {
      const dialog = this.rejectDialog;
      if (!dialog.reason.trim()) {
        dialog.error = "Say why, so the submitter knows what to change.";
        return;
      }
      dialog.busy = true;
      dialog.error = "";
      try {
        await simpletuner.api("POST", `/api/queue/${dialog.job.job_id}/reject`, { reason: dialog.reason.trim() });
        this.$refs.rejectDialog.close();
        simpletuner.toast(`Job ${shortId(dialog.job.job_id)} rejected`, "success");
        await this.refresh();
      } catch (error) {
        dialog.error = errorsByField(error).reason || error.message;
      } finally {
        dialog.busy = false;
      }
    },

    // ---- the admins' forms

    resetLimitsForm() {
      const form = {};
      for (const name of LIMIT_FIELDS) form[name] = this.stats[name] ?? "";
      form.enable_fair_share = this.stats.enable_fair_share;
      this.limitsForm = form;
      this.limitsErrors = {};
    },

    async saveLimits() {
      const body = { enable_fair_share: this.limitsForm.enable_fair_share };
      for (const name of LIMIT_FIELDS) {
        const raw = String(this.limitsForm[name]).trim();
        // an empty GPU limit means unlimited; the other limits always have a value, so empty keeps it
        if (raw === "") {
          if (name === "local_gpu_max_concurrent") body[name] = null;
          continue;
        }
        body[name] = Number(raw);
      }
      this.limitsSaving = true;
      this.limitsErrors = {};
      this.limitsSaved = "";
      try {
        const limits = await simpletuner.api("POST", "/api/queue/concurrency", body);
        this.stats = { ...this.stats, ...limits };
        this.resetLimitsForm();
        this.limitsSaved = "Limits saved; the scheduler applies them to its next decision.";
      } catch (error) {
        this.limitsErrors = errorsByField(error);
      } finally {
        this.limitsSaving = false;
      }
    },

    async cleanup() {
      const days = Number(this.cleanupDays);
      this.cleanupError = "";
      if (!Number.isInteger(days) || days < 1 || days > 3650) {
        this.cleanupError = "Enter a whole number of days from 1 to 3650.";
        return;
      }
      this.cleanupBusy = true;
      try {
        const reply = await simpletuner.api("POST", `/api/queue/cleanup?days=${days}`);
        const plural = reply.deleted === 1 ? "job" : "jobs";
        simpletuner.toast(`Deleted ${reply.deleted} finished ${plural} older than ${reply.days} days`, "success");
        await this.refresh();
      } catch (error) {
        this.cleanupError = errorsByField(error).days || error.message;
      } finally {
        this.cleanupBusy = false;
      }
    },
  };
}
