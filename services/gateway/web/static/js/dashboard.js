// Training dashboard: one run at a time, rebuilt from its stored events, then kept live over Server-Sent Events.
//
// Every event carries its stream index (`index` in a history page, `id:` on the stream); the page remembers the
// highest one it applied and ignores anything at or below it, so history, the stream and its reconnects can
// overlap without showing anything twice, and resuming from that index loses nothing.
"use strict";

const TRAINING = Object.freeze({
  ACTIVE: ["starting", "running"],
  ENDED: ["completed", "failed", "cancelled", "stopped"],
  WAITING: ["queued", "pending_approval"], // scheduler words for a job not started yet
  // The SSE `event:` names the gateway sends (libs/bus/payloads.py); EventSource only delivers names it listens for.
  EVENT_TYPES: [
    "training.progress",
    "training.status",
    "lifecycle.stage",
    "validation.image",
    "training.checkpoint",
    "log.message",
    "notification",
  ],
  SEVERITIES: ["debug", "info", "success", "warning", "error", "critical"],
  PAGE_LIMIT: 1000,
  MAX_LOG_LINES: 5000,
  MAX_GALLERY: 200,
  RATE_WINDOW: 20, // progress samples the ETA's step rate is measured over
  POLL_MS: 5000,
  RETRY_MAX_MS: 30000,
  CHART_HEIGHT: 220,
});

// Whole steps only on the x axis (uPlot would otherwise label 2.5, 7.5 on a narrow chart).
const STEP_INCREMENTS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6];

// Charts: uPlot on a container, coloured from the page's CSS variables (so dark mode is readable) and sized to it.
function trainingChart(container, label, format) {
  const css = getComputedStyle(document.documentElement);
  const colour = (name) => css.getPropertyValue(name).trim();
  const axis = {
    stroke: colour("--muted"),
    grid: { stroke: colour("--border"), width: 1 },
    ticks: { stroke: colour("--border"), width: 1 },
  };
  const options = {
    width: Math.max(200, container.clientWidth),
    height: TRAINING.CHART_HEIGHT,
    scales: { x: { time: false } },
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    axes: [
      { ...axis, label: "Step", labelSize: 20, incrs: STEP_INCREMENTS },
      { ...axis, size: 64, values: (u, values) => values.map(format) },
    ],
    series: [{ label: "Step" }, { label, stroke: colour("--accent"), width: 2, value: (u, v) => format(v) }],
  };
  return new uPlot(options, [[], []], container.firstElementChild);
}

function formatLoss(value) {
  return value == null || !isFinite(value) ? "–" : Number(value).toPrecision(4);
}

function formatRate(value) {
  return value == null || !isFinite(value) ? "–" : Number(value).toExponential(2);
}

function clockTime(iso) {
  const when = new Date(iso);
  return isNaN(when) ? "" : when.toLocaleTimeString([], { hour12: false });
}

function trainingDashboard() {
  // Kept out of Alpine's reactive proxies: large arrays, DOM nodes and timers.
  const feed = { source: null, generation: 0, lastIndex: 0, retryTimer: null, retryMs: 2000, environmentSwitches: 0 };
  const series = { steps: [], loss: [], lr: [] };
  const samples = []; // recent {t, step} for the step rate
  const charts = { loss: null, lr: null, frame: 0, observer: null };
  const logs = { box: null, lines: null, count: 0, shown: 0, pending: null };
  let checkpointTimer = null;

  return {
    environment: "",
    environmentKnown: false,
    jobId: "",
    runs: [],
    following: true,
    newerJob: "",
    status: "idle",
    statusDetail: "",
    stopping: false,
    jobInfo: {},
    queuePosition: null,
    progress: { step: 0, total: 0, percent: 0, epoch: 0, totalEpochs: 0, loss: null, lr: null },
    stepRate: null,
    etaSeconds: null,
    stages: [],
    points: 0,
    firstStep: 0,
    lastStep: 0,
    gallery: [],
    preview: null,
    lightboxIndex: -1,
    checkpoints: [],
    checkpointsError: "",
    connection: "idle",
    loading: false,
    loadError: "", // the environment or the runs list could not be read
    jobError: "", // the job picked could not be loaded
    busy: "",
    startResult: null, // {kind: success|info|danger, title, text, problems: [{field, message}]}
    actionError: "",
    logFilter: "",
    logLevel: "debug",
    logCount: 0,
    shownLogCount: 0,
    logStuck: true,

    can(permission) {
      return simpletuner.can(permission);
    },
    get active() {
      return TRAINING.ACTIVE.includes(this.status);
    },
    get waiting() {
      return TRAINING.WAITING.includes(this.status);
    },
    get ended() {
      return TRAINING.ENDED.includes(this.status);
    },
    get statusLabel() {
      if (this.stopping && this.active) return "stopping";
      return this.status.replace(/_/g, " ");
    },
    get connectionLabel() {
      const words = { idle: "Not connected", connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…" };
      return words[this.connection] || this.connection;
    },
    get stagesDone() {
      return this.stages.filter((s) => s.status === "completed").length;
    },
    get lightboxItem() {
      return this.gallery[this.lightboxIndex] || null;
    },

    async init() {
      logs.box = this.$refs.logBox;
      logs.lines = logs.box.firstElementChild; // x-ignore: Alpine leaves the lines alone
      this.makeCharts();
      charts.observer = new ResizeObserver(() => this.resizeCharts());
      charts.observer.observe(this.$refs.lossChart);
      charts.observer.observe(this.$refs.lrChart);
      // A theme switch recolours the axes: rebuild the charts with the new colours, keeping their data.
      window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => this.rebuildCharts());
      window.addEventListener("environment-changed", (event) => {
        feed.environmentSwitches += 1;
        this.environment = event.detail.name;
        this.environmentKnown = true;
      });
      window.addEventListener("pagehide", () => this.closeStream());
      window.addEventListener("pageshow", (event) => {
        if (event.persisted && this.jobId) this.openStream(this.jobId, feed.generation); // back from the bfcache
      });
      this.$watch("logFilter", () => this.applyLogFilter());
      this.$watch("logLevel", () => this.applyLogFilter());
      await Promise.all([this.loadEnvironment(), this.loadRuns()]);
      const wanted = new URLSearchParams(window.location.search).get("job_id");
      await this.openLatestOr(wanted);
      setInterval(() => this.poll(), TRAINING.POLL_MS);
    },

    // ----- environment, runs, picking a job -----

    async loadEnvironment() {
      if (!this.can("config.view")) return;
      const switches = feed.environmentSwitches;
      try {
        const data = await simpletuner.api("GET", "/api/configs/");
        if (switches !== feed.environmentSwitches) return; // the header switched meanwhile: that one is newer
        this.environment = data.active || "";
        this.environmentKnown = true;
      } catch (error) {
        this.loadError = `Could not read your active environment: ${error.message}`;
      }
    },

    async loadRuns() {
      try {
        this.runs = (await simpletuner.api("GET", "/api/training/runs?limit=25")).runs;
      } catch (error) {
        this.loadError = `Could not list your runs: ${error.message}`;
      }
    },

    runLabel(run) {
      const started = run.job_info.started_at;
      const when = started ? new Date(started).toLocaleString([], { dateStyle: "short", timeStyle: "short" }) : "";
      const status = run.job_id === this.jobId ? this.statusLabel : run.status; // the list was read earlier
      return [run.job_id, status, run.job_info.environment, when].filter(Boolean).join(" · ");
    },

    async openLatestOr(jobId) {
      if (jobId) {
        this.following = !this.runs.length || this.runs[0].job_id === jobId;
        return this.openJob(jobId);
      }
      try {
        const latest = await simpletuner.api("GET", "/api/training/status");
        if (latest.job_id) return this.openJob(latest.job_id, latest);
      } catch (error) {
        this.loadError = `Could not read the training status: ${error.message}`;
      }
    },

    async pickRun(jobId) {
      this.following = !this.runs.length || this.runs[0].job_id === jobId;
      this.newerJob = "";
      await this.openJob(jobId);
    },

    async followNewer() {
      const jobId = this.newerJob;
      this.newerJob = "";
      this.following = true;
      await this.loadRuns();
      await this.openJob(jobId);
    },

    resetView() {
      this.closeStream();
      clearTimeout(feed.retryTimer);
      feed.lastIndex = 0;
      feed.retryMs = 2000;
      series.steps = [];
      series.loss = [];
      series.lr = [];
      samples.length = 0;
      logs.lines.replaceChildren();
      logs.count = 0;
      logs.shown = 0;
      this.logCount = 0;
      this.shownLogCount = 0;
      this.logStuck = true;
      Object.assign(this, {
        status: "idle",
        statusDetail: "",
        stopping: false,
        jobInfo: {},
        queuePosition: null,
        progress: { step: 0, total: 0, percent: 0, epoch: 0, totalEpochs: 0, loss: null, lr: null },
        stepRate: null,
        etaSeconds: null,
        stages: [],
        gallery: [],
        preview: null,
        checkpoints: [],
        checkpointsError: "",
        actionError: "",
        jobError: "",
      });
      this.drawCharts();
    },

    // Status, then the whole history (page by page), then the live stream from where the history ended.
    async openJob(jobId, knownStatus = null, queued = null) {
      const generation = ++feed.generation;
      this.resetView();
      this.jobId = jobId;
      this.loading = true;
      const url = new URL(window.location.href);
      url.searchParams.set("job_id", jobId);
      window.history.replaceState(null, "", url);
      try {
        this.applyStatus(knownStatus || (await this.fetchStatus(jobId, queued)));
        if (generation !== feed.generation) return;
        await this.loadHistory(jobId, generation);
        if (generation !== feed.generation) return;
        this.openStream(jobId, generation);
        this.refreshCheckpoints();
      } catch (error) {
        if (generation === feed.generation) this.jobError = `Could not load job ${jobId}: ${error.message}`;
      } finally {
        if (generation === feed.generation) this.loading = false;
      }
    },

    // A job still waiting in the queue has no training run yet: the queue says where it stands.
    async fetchStatus(jobId, queued) {
      try {
        return await simpletuner.api("GET", `/api/training/status?job_id=${encodeURIComponent(jobId)}`);
      } catch (error) {
        if (error.status !== 404) throw error;
        const waiting = queued || (await this.queueState(jobId));
        if (!waiting) throw error;
        const status = waiting.status || "queued";
        return { status, job_id: jobId, job_info: {}, progress: null, startup_progress: {}, queue: waiting };
      }
    },

    async queueState(jobId) {
      if (!this.can("queue.view")) return null;
      try {
        return await simpletuner.api("GET", `/api/queue/position/${encodeURIComponent(jobId)}`);
      } catch {
        return null;
      }
    },

    applyStatus(body) {
      this.status = body.status;
      this.jobInfo = body.job_info || {};
      this.statusDetail = this.jobInfo.status_detail || "";
      if (body.queue) this.queuePosition = body.queue.position;
      if (body.progress) this.setProgress(body.progress);
      const stages = Object.entries(body.startup_progress || {}).map(([key, stage]) => ({ key, ...stage }));
      if (stages.length) this.stages = stages;
    },

    async loadHistory(jobId, generation) {
      const batch = [];
      for (;;) {
        const query = `job_id=${encodeURIComponent(jobId)}&since_index=${feed.lastIndex}&limit=${TRAINING.PAGE_LIMIT}`;
        const page = await simpletuner.api("GET", `/api/training/events?${query}`);
        if (generation !== feed.generation) return;
        const fresh = page.events.filter((event) => event.index > feed.lastIndex);
        if (!fresh.length) break;
        logs.pending = document.createDocumentFragment(); // one DOM append per page, not one per line
        try {
          for (const event of fresh) this.applyEvent(event, event.index, batch);
        } finally {
          logs.lines.append(logs.pending);
          logs.pending = null;
        }
        this.trimLogs();
      }
      this.gallery = batch.slice(-TRAINING.MAX_GALLERY).reverse();
      this.drawCharts();
      this.scrollLogIfStuck();
    },

    // ----- the live stream -----

    openStream(jobId, generation) {
      this.closeStream();
      const query = `job_id=${encodeURIComponent(jobId)}&since=${feed.lastIndex}`;
      const source = new EventSource(`/api/training/events/stream?${query}`);
      feed.source = source;
      this.connection = "connecting";
      source.onopen = () => {
        this.connection = "live";
        feed.retryMs = 2000;
      };
      source.onerror = () => {
        if (generation !== feed.generation) return;
        if (source.readyState === EventSource.CLOSED) {
          // The server answered with an error (a restart, a 503): EventSource gives up, so retry from our index.
          this.connection = "reconnecting";
          feed.retryTimer = setTimeout(() => {
            if (generation === feed.generation) this.openStream(jobId, generation);
          }, feed.retryMs);
          feed.retryMs = Math.min(feed.retryMs * 2, TRAINING.RETRY_MAX_MS);
        } else {
          this.connection = "reconnecting"; // EventSource retries by itself, sending Last-Event-ID
        }
      };
      const onFrame = (frame) => {
        if (generation !== feed.generation) return;
        const index = Number(frame.lastEventId);
        const event = JSON.parse(frame.data);
        const added = [];
        this.applyEvent(event, index, added);
        if (added.length) this.gallery = [...added.reverse(), ...this.gallery].slice(0, TRAINING.MAX_GALLERY);
        this.trimLogs();
        this.scheduleChartDraw();
        this.scrollLogIfStuck();
      };
      for (const type of TRAINING.EVENT_TYPES) source.addEventListener(type, onFrame);
    },

    closeStream() {
      if (feed.source) feed.source.close();
      feed.source = null;
      this.connection = "idle";
    },

    // ----- applying one event (from the history or the stream) -----

    applyEvent(event, index, galleryBatch) {
      if (!(index > feed.lastIndex)) return; // seen already (history and stream overlap, or a reconnect)
      feed.lastIndex = index;
      switch (event.type) {
        case "training.progress":
          return this.onProgress(event);
        case "training.status":
          return this.onStatus(event, index);
        case "lifecycle.stage":
          return this.onStage(event, index);
        case "validation.image":
          return this.onImage(event, index, galleryBatch);
        case "training.checkpoint":
          this.addLogLine(event, index);
          return this.refreshCheckpointsSoon();
        default:
          return this.addLogLine(event, index);
      }
    },

    setProgress(p) {
      this.progress = {
        step: p.step,
        total: p.total_steps,
        percent: p.percent,
        epoch: p.epoch,
        totalEpochs: p.total_epochs,
        loss: p.loss,
        lr: p.learning_rate,
      };
    },

    onProgress(event) {
      this.setProgress(event);
      // Steps only grow within a run; a repeated or earlier step replaces the tail so the x axis stays sorted.
      while (series.steps.length && series.steps[series.steps.length - 1] >= event.step) {
        series.steps.pop();
        series.loss.pop();
        series.lr.pop();
      }
      series.steps.push(event.step);
      series.loss.push(event.loss);
      series.lr.push(event.learning_rate);
      samples.push({ t: Date.parse(event.timestamp), step: event.step });
      if (samples.length > TRAINING.RATE_WINDOW) samples.shift();
      this.updateEta();
    },

    // Steps per second over the recent samples (event times, so a rebuilt history gives the same answer).
    updateEta() {
      const first = samples[0];
      const last = samples[samples.length - 1];
      const seconds = samples.length > 1 ? (last.t - first.t) / 1000 : 0;
      this.stepRate = seconds > 0 ? (last.step - first.step) / seconds : null;
      const left = this.progress.total - this.progress.step;
      this.etaSeconds = this.stepRate ? Math.max(0, left) / this.stepRate : null;
    },

    onStatus(event, index) {
      const previous = this.status;
      this.status = event.data.status;
      this.statusDetail = event.data.message || "";
      this.queuePosition = null;
      if (!this.active) this.stopping = false;
      // "Starting job …" has done its work once the run runs; warnings and problems stay until dismissed
      if (this.status === "running" && this.startResult && !this.startResult.problems.length) this.startResult = null;
      this.addLogLine(event, index);
      if (logs.pending || previous === this.status) return; // replaying history: the status was read already
      if (this.ended || TRAINING.WAITING.includes(previous)) this.refreshJobInfo();
    },

    // A run that left the queue or ended: its details (environment, error, exit code), checkpoints and runs.
    async refreshJobInfo() {
      const generation = feed.generation;
      try {
        const body = await simpletuner.api("GET", `/api/training/status?job_id=${encodeURIComponent(this.jobId)}`);
        if (generation === feed.generation) this.jobInfo = body.job_info || {};
      } catch (error) {
        this.actionError = `Could not read the run's details: ${error.message}`;
      }
      if (this.ended) this.refreshCheckpoints();
      this.loadRuns();
    },

    onStage(event, index) {
      const stage = event.stage;
      const known = this.stages.findIndex((s) => s.key === stage.key);
      const entry = { ...stage, progress_type: stage.total ? "determinate" : "indeterminate" };
      if (known >= 0) this.stages.splice(known, 1, { ...this.stages[known], ...entry });
      else this.stages.push(entry);
      if (stage.status !== "running") this.addLogLine(event, index); // begun/done/failed, not every count tick
    },

    onImage(event, index, galleryBatch) {
      const data = event.data || {};
      const media = [
        ...(event.images || []).map((m) => ({ ...m, video: m.mime_type.startsWith("video/") })),
        ...(event.videos || []).map((m) => ({ ...m, video: m.mime_type.startsWith("video/") })),
      ];
      const items = media.map((m, i) => ({
        key: `${index}-${i}`,
        index,
        src: m.src,
        mime: m.mime_type,
        video: m.video,
        title: event.title,
        prompt: data.prompt || event.body || "",
        step: data.step,
        stepLabel: data.step_label || "",
        resolution: (data.resolution || []).join("×"),
      }));
      if (data.validation_type === "intermediary") {
        this.preview = items[items.length - 1] || this.preview; // a preview replaces the last one
      } else {
        galleryBatch.push(...items);
        if (items.length) this.preview = null;
      }
    },

    // ----- logs (kept as plain DOM: thousands of lines are too many for a reactive list) -----

    addLogLine(event, index) {
      const severity = TRAINING.SEVERITIES.includes(event.severity) ? event.severity : "info";
      const line = document.createElement("div");
      line.className = `log-line sev-${severity}`;
      line.dataset.index = String(index);
      line.dataset.type = event.type;
      line.dataset.severity = severity;
      const time = document.createElement("time");
      time.dateTime = event.timestamp;
      time.textContent = clockTime(event.timestamp);
      const level = document.createElement("span");
      level.className = "log-level";
      level.textContent = severity.toUpperCase();
      const source = event.type === "log.message" ? event.logger : event.title;
      const text = document.createElement("span");
      text.className = "log-text";
      // "Starting: Starting" and "Caching VAE latents: Caching VAE latents: completed" say it once
      const repeats = !source || String(event.message).toLowerCase().startsWith(source.toLowerCase());
      text.textContent = repeats ? event.message : `${source}: ${event.message}`;
      line.append(time, " ", level, " ", text);
      line.hidden = !this.logMatches(line);
      (logs.pending || logs.lines).append(line);
      logs.count += 1;
      logs.shown += line.hidden ? 0 : 1;
      this.logCount = logs.count;
      this.shownLogCount = logs.shown;
    },

    trimLogs() {
      while (logs.count > TRAINING.MAX_LOG_LINES) {
        const oldest = logs.lines.firstElementChild;
        logs.shown -= oldest.hidden ? 0 : 1;
        oldest.remove();
        logs.count -= 1;
      }
      this.logCount = logs.count;
      this.shownLogCount = logs.shown;
    },

    logMatches(line) {
      const minimum = TRAINING.SEVERITIES.indexOf(this.logLevel);
      if (TRAINING.SEVERITIES.indexOf(line.dataset.severity) < minimum) return false;
      const wanted = this.logFilter.trim().toLowerCase();
      return !wanted || line.textContent.toLowerCase().includes(wanted);
    },

    applyLogFilter() {
      logs.shown = 0;
      for (const line of logs.lines.children) {
        line.hidden = !this.logMatches(line);
        logs.shown += line.hidden ? 0 : 1;
      }
      this.shownLogCount = logs.shown;
      this.scrollLogIfStuck();
    },

    // Follow the newest line unless the reader scrolled up to read something.
    onLogScroll() {
      const box = logs.box;
      this.logStuck = box.scrollHeight - box.scrollTop - box.clientHeight < 24;
    },

    scrollLogIfStuck() {
      if (!this.logStuck) return;
      requestAnimationFrame(() => {
        logs.box.scrollTop = logs.box.scrollHeight;
      });
    },

    jumpToLatestLog() {
      this.logStuck = true;
      this.scrollLogIfStuck();
    },

    // ----- charts -----

    scheduleChartDraw() {
      if (charts.frame) return;
      charts.frame = requestAnimationFrame(() => {
        charts.frame = 0;
        this.drawCharts();
      });
    },

    drawCharts() {
      charts.loss.setData([series.steps, series.loss]);
      charts.lr.setData([series.steps, series.lr]);
      this.points = series.steps.length;
      this.firstStep = series.steps[0] || 0;
      this.lastStep = series.steps[series.steps.length - 1] || 0;
    },

    resizeCharts() {
      for (const [chart, box] of [
        [charts.loss, this.$refs.lossChart],
        [charts.lr, this.$refs.lrChart],
      ]) {
        if (chart && box.clientWidth) chart.setSize({ width: box.clientWidth, height: TRAINING.CHART_HEIGHT });
      }
    },

    // uPlot draws into the x-ignore child of each chart box, sized to the box.
    makeCharts() {
      charts.loss = trainingChart(this.$refs.lossChart, "Loss", formatLoss);
      charts.lr = trainingChart(this.$refs.lrChart, "Learning rate", formatRate);
    },

    rebuildCharts() {
      charts.loss.destroy();
      charts.lr.destroy();
      this.makeCharts();
      this.drawCharts();
    },

    // ----- checkpoints -----

    async refreshCheckpoints() {
      if (!this.jobId) return;
      const generation = feed.generation;
      try {
        const body = await simpletuner.api("GET", `/api/training/checkpoints?job_id=${encodeURIComponent(this.jobId)}`);
        if (generation !== feed.generation) return;
        this.checkpoints = body.checkpoints;
        this.checkpointsError = "";
      } catch (error) {
        if (generation === feed.generation) this.checkpointsError = error.message;
      }
    },

    refreshCheckpointsSoon() {
      if (logs.pending) return; // replaying history: the list is read once afterwards
      clearTimeout(checkpointTimer);
      checkpointTimer = setTimeout(() => this.refreshCheckpoints(), 500);
    },

    // ----- actions -----

    async start() {
      this.busy = "start";
      this.startResult = null;
      this.actionError = "";
      const form = new FormData();
      if (this.environment) form.append("environment", this.environment);
      try {
        const reply = await simpletuner.api("POST", "/api/training/start", form);
        const queued = reply.status === "queued";
        const warnings = reply.warnings || [];
        const waitText = "It starts when GPUs are free; this page follows it.";
        this.startResult = {
          kind: queued ? "info" : "success",
          title: queued ? `Queued, position ${reply.queue_position}` : `Starting job ${reply.job_id}`,
          text: [queued ? waitText : "", warnings.length ? "Warnings:" : ""].filter(Boolean).join(" "),
          problems: warnings,
        };
        this.following = true;
        this.newerJob = "";
        await this.loadRuns();
        const waiting = queued ? { status: "queued", position: reply.queue_position } : null;
        await this.openJob(reply.job_id, null, waiting);
      } catch (error) {
        this.startResult = this.startProblem(error);
      } finally {
        this.busy = "";
      }
    },

    startProblem(error) {
      const body = error.body || {};
      if (error.status === 400 && Array.isArray(body.errors)) {
        return {
          kind: "danger",
          title: body.message || "Cannot Start Training",
          text: "Fix these options in the Configuration page, then start again:",
          problems: body.errors,
          fix: true,
        };
      }
      if (error.status === 409 && body.status === "rejected") {
        return { kind: "danger", title: "Training rejected", text: body.reason || body.message, problems: [] };
      }
      return { kind: "danger", title: "Could not start training", text: error.message, problems: [] };
    },

    async steer(name, path, done) {
      this.busy = name;
      this.actionError = "";
      try {
        const reply = await simpletuner.api("POST", path, { job_id: this.jobId });
        simpletuner.toast(done || reply.message, "success");
        return reply;
      } catch (error) {
        this.actionError = error.message;
        return null;
      } finally {
        this.busy = "";
      }
    },

    async stop() {
      if (await this.steer("stop", "/api/training/stop", "Stop requested: the run finishes its step and saves.")) {
        this.stopping = true;
      }
    },

    askCancel() {
      this.$refs.cancelDialog.showModal();
    },

    async confirmCancel() {
      this.$refs.cancelDialog.close();
      if (this.waiting) {
        await this.steer("cancel", `/api/queue/${encodeURIComponent(this.jobId)}/cancel`, "Queued job cancelled.");
        return this.openJob(this.jobId);
      }
      await this.steer("cancel", "/api/training/cancel");
    },

    validateNow() {
      return this.steer("validate", "/api/training/validation/run");
    },

    checkpointNow() {
      return this.steer("checkpoint", "/api/training/checkpoint/run");
    },

    // ----- background: the queue position, and a newer run to follow -----

    async poll() {
      if (document.hidden || this.loading) return;
      if (this.waiting && this.jobId) {
        const state = await this.queueState(this.jobId);
        if (state && state.position) this.queuePosition = state.position;
        return;
      }
      if (this.active) return; // the stream says everything about a running job
      try {
        const latest = await simpletuner.api("GET", "/api/training/status");
        if (!latest.job_id || latest.job_id === this.jobId) return;
        if (this.runs.some((run) => run.job_id === latest.job_id) && !TRAINING.ACTIVE.includes(latest.status)) return;
        if (this.following || !this.jobId) {
          await this.loadRuns();
          await this.openJob(latest.job_id, latest);
        } else {
          this.newerJob = latest.job_id;
        }
      } catch {
        // A passing outage: the next poll tries again; the stream shows the connection state.
      }
    },

    // ----- gallery and lightbox -----

    openLightbox(i) {
      this.lightboxIndex = i;
      this.$refs.lightbox.showModal();
    },

    moveLightbox(delta) {
      if (!this.gallery.length) return;
      this.lightboxIndex = (this.lightboxIndex + delta + this.gallery.length) % this.gallery.length;
    },

    closeLightbox() {
      this.$refs.lightbox.close();
    },

    caption(item) {
      const parts = [`Step ${item.step}`];
      if (item.prompt) parts.push(item.prompt);
      return parts.join(" · ");
    },

    // ----- text for the numbers -----

    formatLoss,
    formatRate,
    formatDuration: (seconds) => simpletuner.formatDuration(seconds),
    stageIcon(status) {
      return { completed: "✓", running: "◐", failed: "✗" }[status] || "○";
    },
  };
}
