// First-run onboarding: the seeds' questions one step at a time (configs_dir, datasets and outputs, GPUs, the
// first environment). Each Continue saves its step through POST /api/webui/onboarding/steps/{id}, which
// checks and stores it; refusals are shown next to the field they name.
"use strict";

const FOLDER_FIELDS = ["configs_dir", "datasets_dir", "output_dir"];

function onboarding() {
  return {
    canEdit: simpletuner.can("admin.config"),
    loading: true,
    loadError: "",
    steps: [],
    current: 0,
    complete: false,
    workspace: null,
    folders: { configs_dir: "", datasets_dir: "", output_dir: "" },
    errors: {},
    notice: "",
    announcement: "",
    busy: false,
    gpus: [],
    gpuNote: "",
    gpusLoaded: false,
    chosenGpus: [],
    found: [],
    existing: "",
    createNew: false,
    creator: environmentCreator(),

    async init() {
      try {
        const state = await simpletuner.api("GET", "/api/webui/state");
        this.apply(state);
        this.complete = state.onboarding.complete;
        const next = this.steps.findIndex((step) => !step.done);
        this.current = next < 0 ? 0 : next;
        this.enter();
      } catch (error) {
        this.loadError = `The workspace settings could not be loaded: ${error.message}`;
      } finally {
        this.loading = false;
      }
    },
    apply(state) {
      this.steps = state.onboarding.steps;
      this.workspace = state.workspace;
      for (const field of FOLDER_FIELDS) this.folders[field] = state.workspace[field];
    },
    get step() {
      return this.steps[this.current] || { id: "", title: "" };
    },
    // What each step needs loaded when it is reached.
    enter() {
      this.errors = {};
      this.announcement = `Step ${this.current + 1} of ${this.steps.length}: ${this.step.title}`;
      if (this.step.id === "gpus") this.loadGpus();
      if (this.step.id === "environment") this.loadEnvironments();
      this.$nextTick(() => {
        const heading = document.getElementById(`step-${this.step.id}-title`);
        if (heading) heading.focus();
      });
    },
    back() {
      if (this.current > 0) {
        this.current -= 1;
        this.notice = "";
        this.enter();
      }
    },
    useDefault(field) {
      this.folders[field] = this.workspace.defaults[field];
    },

    async loadGpus() {
      if (this.gpusLoaded) return;
      try {
        const status = await simpletuner.api("GET", "/api/system/status?include_allocation=true");
        this.gpus = (status.gpu_allocation || {}).devices || [];
        this.chosenGpus = this.gpus.map((gpu) => gpu.index);
        this.gpusLoaded = true;
      } catch (error) {
        this.errors = { form: `The GPUs could not be listed: ${error.message}` };
      }
    },
    gpuLabel(gpu) {
      const memory = gpu.memory_gb ? ` · ${gpu.memory_gb} GB` : "";
      return `GPU ${gpu.index} · ${gpu.name}${memory}`;
    },
    get gpuCount() {
      return Math.max(1, this.chosenGpus.length);
    },

    async loadEnvironments() {
      this.creator.loadChoices();
      try {
        const data = await simpletuner.api("GET", "/api/configs/");
        const special = this.workspace.default_environment;
        this.found = (data.configs || []).map((c) => c.name).filter((name) => name !== special);
        this.existing = data.active && this.found.includes(data.active) ? data.active : this.found[0] || "";
        this.createNew = !this.found.length;
      } catch (error) {
        this.errors = { form: `The environments could not be listed: ${error.message}` };
      }
    },

    // The values the current step sends, or null when something must be fixed first.
    values() {
      const id = this.step.id;
      if (id === "configs") return { configs_dir: this.folders.configs_dir.trim() };
      if (id === "folders") {
        return { datasets_dir: this.folders.datasets_dir.trim(), output_dir: this.folders.output_dir.trim() };
      }
      if (id === "gpus") return { devices: this.gpus.length ? [...this.chosenGpus].sort((a, b) => a - b) : [] };
      if (!this.createNew) {
        if (!this.existing) {
          this.errors = { existing: "Pick the environment to work with." };
          return null;
        }
        return { mode: "existing", name: this.existing };
      }
      const spec = this.creator.spec();
      if (!spec) return null;
      return spec.example ? { mode: "example", ...spec } : { mode: "empty", ...spec };
    },
    async save(skip = false) {
      const values = skip ? { skip: true } : this.values();
      if (!values) return;
      this.busy = true;
      this.errors = {};
      try {
        const state = await simpletuner.api("POST", `/api/webui/onboarding/steps/${this.step.id}`, values);
        this.apply(state);
        this.notice = skip ? "" : state.message;
        if (this.step.id === "environment") {
          announceEnvironments(values.name || "", "onboarding");
          window.location.assign("/");
          return;
        }
        this.current += 1;
        this.enter();
      } catch (error) {
        const found = fieldErrors(error);
        this.errors = found;
        if (this.step.id === "environment") this.creator.errors = found;
        this.announcement = error.message;
      } finally {
        this.busy = false;
      }
    },
    async finishNow() {
      this.busy = true;
      try {
        await simpletuner.api("POST", "/api/webui/onboarding/complete");
        window.location.assign("/");
      } catch (error) {
        this.errors = { form: error.message };
        this.busy = false;
      }
    },
    async restart() {
      this.busy = true;
      try {
        const state = await simpletuner.api("POST", "/api/webui/onboarding/reset");
        this.apply(state);
        this.complete = false;
        this.current = 0;
        this.notice = "";
        this.enter();
      } catch (error) {
        this.errors = { form: error.message };
      } finally {
        this.busy = false;
      }
    },
  };
}
