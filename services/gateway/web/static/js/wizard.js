// The configuration wizard (/wizard): walks the tutorial's steps, then writes the environment's config.json in
// one PUT (every key it did not touch kept exactly as written) and activates it.
"use strict";

// Scoped: the page also loads other components (the dataset wizard), whose top-level names must not meet these.
(() => {
  // The top-level members of a JSON object's text as [key, exact value text] pairs, in order: configs travel as
  // text so that numbers keep their spelling (1e-4 stays 1e-4), and the wizard rewrites only the values it sets.
  function jsonMembers(text) {
    const members = [];
    let i = text.indexOf("{") + 1;
    const skipSpace = () => {
      while (i < text.length && /\s/.test(text[i])) i++;
    };
    const readString = () => {
      const start = i++;
      while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
      i++;
      return text.slice(start, i);
    };
    const readValue = () => {
      const start = i;
      let depth = 0;
      while (i < text.length) {
        const c = text[i];
        if (c === '"') {
          readString();
          continue;
        }
        if (c === "{" || c === "[") depth++;
        else if (c === "}" || c === "]") {
          if (depth === 0) break;
          depth--;
        } else if (c === "," && depth === 0) break;
        i++;
      }
      return text.slice(start, i).trim();
    };
    skipSpace();
    while (i < text.length && text[i] !== "}") {
      const key = JSON.parse(readString());
      skipSpace();
      i++; // the colon
      skipSpace();
      members.push([key, readValue()]);
      skipSpace();
      if (text[i] === ",") i++;
      skipSpace();
    }
    return members;
  }


  const WIZARD_STEPS = [
    { id: "start", title: "Start" },
    { id: "model", title: "Model" },
    { id: "options", title: "Model options" },
    { id: "duration", title: "Duration" },
    { id: "hub", title: "Publishing" },
    { id: "validation", title: "Validation" },
    { id: "tracking", title: "Tracking" },
    { id: "datasets", title: "Datasets" },
    { id: "training", title: "Learning rate" },
    { id: "review", title: "Review" },
  ];

  // The options the wizard sets, and the step that sets each (review errors link back to it).
  const WIZARD_FIELDS = {
    model_family: "model",
    model_flavour: "model",
    model_type: "model",
    pretrained_model_name_or_path: "model",
    lora_type: "options",
    lora_rank: "options",
    base_model_precision: "options",
    deepspeed_stage: "options",
    lycoris_config: "options",
    num_train_epochs: "duration",
    max_train_steps: "duration",
    checkpointing_steps: "duration",
    push_to_hub: "hub",
    hub_model_id: "hub",
    model_card_private: "hub",
    push_checkpoints_to_hub: "hub",
    validation_prompt: "validation",
    validation_steps: "validation",
    validation_method: "validation",
    validation_external_script: "validation",
    validation_external_background: "validation",
    report_to: "tracking",
    tracker_project_name: "tracking",
    tracker_run_name: "tracking",
    data_backend_config: "datasets",
    learning_rate: "training",
    optimizer: "training",
    lr_scheduler: "training",
    lr_warmup_steps: "training",
    train_batch_size: "training",
    gradient_accumulation_steps: "training",
  };
  const TRAINING_KEYS = [
    "learning_rate",
    "optimizer",
    "lr_scheduler",
    "lr_warmup_steps",
    "train_batch_size",
    "gradient_accumulation_steps",
  ];
  const TRACKER_LABELS = {
    none: "None",
    tensorboard: "TensorBoard",
    wandb: "Weights & Biases",
    comet_ml: "Comet ML",
    simpletuner: "SimpleTuner",
  };
  const UNQUANTISED = ["no_change", "bf16"];
  const FLAGS = ["push_to_hub", "model_card_private", "push_checkpoints_to_hub", "validation_external_background"];
  // Written even when the catalogue default already says the same: whether a published model is private, and
  // how long the run is (one of the two counts being 0), should be read in the file itself, not in a default.
  const ALWAYS_WRITE = new Set(["model_card_private", "num_train_epochs", "max_train_steps"]);
  const emptyReview = (checking = false) => ({
    changes: [],
    unchanged: [],
    errors: [],
    warnings: [],
    checking,
    checked: false,
    failure: "",
  });
  const ENVIRONMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
  const HUB_REPOSITORY = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/;

  function configWizard() {
    return {
      steps: WIZARD_STEPS,
      trackerLabels: TRACKER_LABELS,
      loading: true,
      loadError: "",
      fields: {},
      families: [],
      unsupported: {},
      hub: { saved: false, username: null, namespaces: [] }, // the user's Hub login (hub_login.js tells)
      environments: [],
      active: "",
      hasDatasetWizard: false,
      // where the wizard writes
      mode: "edit",
      newName: "",
      created: false,
      target: "",
      original: {}, // the target's config as parsed, keys as the file spells them
      originalText: [], // its [key, exact value text] pairs, in file order
      before: { family: "", path: "" }, // the model the environment had before the wizard
      datasets: null,
      dataloaderPath: "",
      dataloaderProblems: [],
      lycorisMissing: false,
      // the user's choices
      v: {},
      family: "",
      flavour: "", // "" keeps the environment's current model
      durationUnit: "steps",
      duration: 1,
      preset: "manual",
      // progress
      stepIndex: 0,
      errors: {},
      stepError: "",
      busy: false,
      announcement: "",
      review: emptyReview(),

      async init() {
        this.hasDatasetWizard = this.$el.dataset.datasetWizard === "true";
        try {
          const [fields, models, listing] = await Promise.all([
            simpletuner.api("GET", "/api/fields/metadata"),
            simpletuner.api("GET", "/api/models"),
            simpletuner.api("GET", "/api/configs/"),
          ]);
          this.fields = fields.fields;
          this.families = models.families;
          this.unsupported = models.unsupported || {};
          this.environments = (listing.configs || []).map((c) => c.name);
          this.active = listing.active || "";
          this.mode = this.active ? "edit" : "new";
          await this.loadSource();
        } catch (error) {
          this.loadError = `The wizard could not load: ${error.message}`;
        } finally {
          this.loading = false;
        }
      },

      // ----- catalogue helpers -----
      option(name) {
        return this.fields[name] || {};
      },
      help(name) {
        return this.option(name).help || "";
      },
      choices(name) {
        return this.option(name).choices || [];
      },
      min(name) {
        const value = this.option(name).minimum;
        return value === undefined ? null : value;
      },
      refused(name, value) {
        const entry = this.unsupported[name];
        return entry ? entry.values.includes(String(value)) : false;
      },
      refusalFix(name) {
        return (this.unsupported[name] || {}).fix || "";
      },
      mayEdit(name) {
        const needed = this.option(name).permission;
        return !needed || simpletuner.can(needed);
      },

      // ----- the environment's current config -----
      keyOf(name) {
        if (Object.hasOwn(this.original, `--${name}`)) return `--${name}`;
        if (Object.hasOwn(this.original, name)) return name;
        const keys = Object.keys(this.original);
        const dashed = keys.filter((key) => key.startsWith("--")).length;
        return !keys.length || dashed * 2 >= keys.length ? `--${name}` : name; // as the file mostly spells them
      },
      has(name) {
        return Object.hasOwn(this.original, this.keyOf(name));
      },
      current(name) {
        if (this.has(name)) return this.original[this.keyOf(name)];
        const fallback = this.option(name).default;
        return fallback === undefined ? null : fallback;
      },
      currentText(name) {
        const key = this.keyOf(name);
        const found = this.originalText.find(([k]) => k === key);
        if (found) return found[1];
        return this.has(name) ? JSON.stringify(this.original[key]) : null;
      },

      async loadSource() {
        if (this.mode === "edit") {
          await this.loadTarget(this.active);
        } else {
          // a new environment starts from the Default environment, as POST /api/configs/environments makes it
          const hasDefault = this.environments.includes("default");
          this.target = "";
          this.setOriginal(hasDefault ? await this.readConfig("default") : "{}");
        }
        this.prefill();
      },
      async readConfig(name) {
        const text = await simpletuner.apiText("GET", `/api/configs/${encodeURIComponent(name)}`);
        return Object.fromEntries(jsonMembers(text)).config || "{}";
      },
      setOriginal(configText) {
        this.original = JSON.parse(configText);
        this.originalText = jsonMembers(configText);
      },
      async loadTarget(name) {
        this.target = name;
        this.setOriginal(await this.readConfig(name));
      },
      prefill() {
        const v = {};
        for (const name of Object.keys(WIZARD_FIELDS)) {
          const value = this.current(name);
          v[name] = value === null || value === undefined ? "" : value;
        }
        v.lora_type = v.lora_type || "standard";
        v.model_type = v.model_type || "lora";
        v.deepspeed_stage = String(v.deepspeed_stage || "0");
        v.base_model_precision = v.base_model_precision || "no_change";
        v.validation_method = v.validation_method || "simpletuner-local";
        v.report_to = v.report_to || "none";
        for (const flag of FLAGS) v[flag] = this.truthy(v[flag]);
        this.v = v;
        this.before = { family: String(v.model_family || ""), path: String(v.pretrained_model_name_or_path || "") };
        this.family = this.before.family;
        this.flavour = "";
        const steps = Number(v.max_train_steps) || 0;
        this.durationUnit = steps > 0 ? "steps" : "epochs";
        this.duration = steps > 0 ? steps : Number(v.num_train_epochs) || 1;
        this.preset = "manual";
      },
      truthy(value) {
        return value === true || ["true", "1", "yes", "on"].includes(String(value).toLowerCase());
      },

      // ----- steps -----
      get step() {
        return this.steps[this.stepIndex];
      },
      stepTitle(step) {
        if (step.id !== "options") return step.title;
        return this.v.model_type === "full" ? "Full-rank options" : "LoRA options";
      },
      async modeChanged() {
        this.errors = {};
        this.busy = true;
        try {
          await this.loadSource();
        } catch (error) {
          this.stepError = error.message;
        } finally {
          this.busy = false;
        }
      },
      async next() {
        if (this.busy) return;
        this.errors = this.check(this.step.id);
        this.stepError = "";
        if (Object.keys(this.errors).length) {
          this.announce("Some answers need fixing before you go on.");
          this.$nextTick(() => this.$el.querySelector("[aria-invalid='true']")?.focus());
          return;
        }
        if (this.step.id === "review") return this.finish();
        this.busy = true;
        try {
          await this.leave(this.step.id);
          await this.go(this.stepIndex + 1);
        } catch (error) {
          this.stepError = error.message;
        } finally {
          this.busy = false;
        }
      },
      back() {
        if (this.stepIndex > 0 && !this.busy) this.go(this.stepIndex - 1);
      },
      async jump(id) {
        const index = this.steps.findIndex((step) => step.id === id);
        if (index >= 0 && index < this.stepIndex) await this.go(index);
      },
      async go(index) {
        this.errors = {};
        this.stepError = "";
        this.stepIndex = index;
        this.announce(`Step ${index + 1} of ${this.steps.length}: ${this.stepTitle(this.step)}`);
        await this.enter(this.step.id);
        this.$nextTick(() => document.getElementById(`wz-h-${this.step.id}`)?.focus());
      },
      announce(text) {
        this.announcement = text;
      },
      // what a step does once its answers are valid
      async leave(id) {
        if (id === "options" && this.mode === "new" && !this.created) await this.createEnvironment();
      },
      // what a step loads when it opens
      async enter(id) {
        if (id === "options" && this.target && this.v.model_type === "lora") await this.checkLycoris();
        if (id === "datasets") await this.loadDatasets();
        if (id === "review") await this.prepareReview();
      },

      // ----- per-step checks: {field: message} -----
      check(id) {
        const e = {};
        const v = this.v;
        if (id === "start") {
          if (this.mode === "edit" && !this.active) e.mode = "No environment is active: create a new one instead.";
          if (this.mode === "new" && !this.created) {
            const name = this.newName.trim();
            if (!name) e.newName = "Give the new environment a name.";
            else if (!ENVIRONMENT_NAME.test(name))
              e.newName = "Use letters, digits, dots, dashes and underscores, starting with a letter or digit.";
            else if (this.environments.includes(name)) e.newName = `${name} already exists: pick another name.`;
          }
        }
        if (id === "model") {
          if (!this.family) e.model_family = "Pick the model family you want to train.";
          if (!String(v.pretrained_model_name_or_path || "").trim())
            e.pretrained_model_name_or_path = "Pick a flavour or give the Hub repository or folder of the base model.";
        }
        if (id === "options") {
          if (v.model_type === "lora") {
            if (v.lora_type === "standard") this.numberError(e, "lora_rank", v.lora_rank, true);
            if (this.refused("base_model_precision", v.base_model_precision))
              e.base_model_precision = `${v.base_model_precision} is not supported yet: ${this.refusalFix(
                "base_model_precision",
              )}`;
          } else if (this.refused("deepspeed_stage", v.deepspeed_stage)) {
            const fix = this.refusalFix("deepspeed_stage");
            e.deepspeed_stage = `ZeRO stage ${v.deepspeed_stage} is not supported yet: ${fix}`;
          }
        }
        if (id === "duration") {
          this.numberError(e, "duration", this.duration, true, 1);
          this.numberError(e, "checkpointing_steps", v.checkpointing_steps, true);
        }
        if (id === "hub" && v.push_to_hub) {
          if (!this.hub.saved) e.hub_login = "Log in to the Hub first: uploads go out with your own token.";
          const repo = String(v.hub_model_id || "").trim();
          if (!repo) e.hub_model_id = "Give the Hub repository to publish to, as name or owner/name.";
          else if (!HUB_REPOSITORY.test(repo))
            e.hub_model_id = "Write it as name or owner/name (letters, digits, . _ -).";
        }
        if (id === "validation") {
          this.numberError(e, "validation_steps", v.validation_steps, true);
          if (v.validation_method === "external-script") {
            if (!String(v.validation_external_script || "").trim())
              e.validation_external_script = "Give the command to run, or switch back to simpletuner-local.";
            else if (!this.mayEdit("validation_external_script") && this.changed("validation_external_script"))
              e.validation_external_script =
                "Only administrators can set the script: ask one, or use simpletuner-local.";
          }
        }
        if (id === "training") {
          this.numberError(e, "learning_rate", v.learning_rate, false);
          if (!e.learning_rate && Number(v.learning_rate) <= 0) e.learning_rate = "The learning rate must be above 0.";
          this.numberError(e, "lr_warmup_steps", v.lr_warmup_steps, true);
          this.numberError(e, "train_batch_size", v.train_batch_size, true);
          this.numberError(e, "gradient_accumulation_steps", v.gradient_accumulation_steps, true);
        }
        return e;
      },
      numberError(errors, name, value, integer, minimum = this.min(name)) {
        const number = Number(value);
        if (value === "" || value === null || value === undefined || !Number.isFinite(number))
          errors[name] = "Enter a number.";
        else if (integer && !Number.isInteger(number)) errors[name] = "Enter a whole number.";
        else if (minimum !== null && number < minimum) errors[name] = `Enter at least ${minimum}.`;
        else {
          const maximum = this.option(name).maximum;
          if (maximum !== undefined && number > maximum) errors[name] = `Enter at most ${maximum}.`;
        }
      },

      // ----- the model step -----
      get familyEntry() {
        return this.families.find((family) => family.name === this.family) || null;
      },
      get canKeepModel() {
        return Boolean(this.before.path) && this.family === this.before.family;
      },
      get chosenFlavour() {
        if (!this.flavour || !this.familyEntry) return null;
        return this.familyEntry.flavours.find((flavour) => flavour.name === this.flavour) || null;
      },
      pickFamily(name) {
        this.family = name;
        this.errors = {};
        if (this.canKeepModel) {
          this.pickFlavour("");
          this.v.base_model_precision = this.current("base_model_precision") || "no_change";
        } else {
          this.pickFlavour(this.familyEntry.default_flavour);
          this.v.base_model_precision = this.familyEntry.quantisation.recommended;
        }
      },
      pickFlavour(name) {
        this.flavour = name;
        const flavour = this.chosenFlavour;
        this.v.pretrained_model_name_or_path = flavour ? flavour.pretrained_model_name_or_path : this.before.path;
      },
      // a preset as a few short chips: "lr 1e-4", "adamw_bf16", "cosine (warmup 100)", "batch 1 × 4"
      presetSummary(settings) {
        const rate = Number(settings.learning_rate);
        const warmup = settings.lr_warmup_steps ? ` (warmup ${settings.lr_warmup_steps})` : "";
        return [
          `lr ${rate < 0.01 ? rate.toExponential() : rate}`,
          settings.optimizer,
          `${settings.lr_scheduler}${warmup}`,
          `batch ${settings.train_batch_size} × ${settings.gradient_accumulation_steps || 1}`,
        ];
      },
      // an answer being corrected: its error goes as soon as the user edits it (the step checks again on Next)
      hubLoginChanged(login) {
        this.hub = login;
        if (login.saved) delete this.errors.hub_login;
      },
      clearError(event) {
        const id = (event.target && event.target.id) || "";
        const key = id === "wz-new-name" ? "newName" : id.replace(/^wz-/, "");
        if (this.errors[key]) delete this.errors[key];
      },
      settingsText(settings) {
        return Object.entries(settings).map(([key, value]) => `${key}=${JSON.stringify(value)}`);
      },

      // ----- the options step -----
      get quantisation() {
        if (this.familyEntry) return this.familyEntry.quantisation;
        return { advised: false, advice: "", recommended: "no_change" };
      },
      precisionLabel(choice) {
        return this.refused("base_model_precision", choice) ? `${choice} (not supported yet)` : choice;
      },
      stageLabel(choice) {
        if (choice === "0") return "0 (DeepSpeed off)";
        const refused = this.refused("deepspeed_stage", choice);
        return refused ? `ZeRO stage ${choice} (not supported yet)` : `ZeRO stage ${choice}`;
      },
      useRecommendedPrecision() {
        this.v.base_model_precision = this.quantisation.recommended;
      },
      async checkLycoris() {
        this.lycorisMissing = false;
        if (this.v.lora_type !== "lycoris" || !this.target) return; // a new environment chosen with LyCORIS gets one
        try {
          const path = `/api/configs/environments/${encodeURIComponent(this.target)}/lycoris`;
          const reply = await simpletuner.api("GET", path);
          this.lycorisMissing = reply.lycoris_config === null;
        } catch (error) {
          this.stepError = `Could not read the LyCORIS config: ${error.message}`;
        }
      },

      // ----- the datasets step -----
      async loadDatasets() {
        this.datasets = null;
        this.dataloaderProblems = [];
        try {
          const reply = await simpletuner.api("GET", `/api/configs/${encodeURIComponent(this.target)}/dataloader`);
          this.dataloaderPath = reply.path;
          this.datasets = reply.datasets || [];
          this.dataloaderProblems = (reply.errors || []).map((problem) => problem.message);
        } catch {
          await this.loadDatasetsFromExport(); // a server without the dataloader route: the export carries the files
        }
      },
      async loadDatasetsFromExport() {
        try {
          const name = encodeURIComponent(this.target);
          const exported = await simpletuner.api("GET", `/api/configs/${name}/export?include_metadata=false`);
          const files = exported.dataloaders || {};
          const wanted = String(this.current("data_backend_config") || "").split("/").pop();
          this.dataloaderPath = wanted in files ? `${this.target}/${wanted}` : Object.keys(files)[0] || "";
          this.datasets = files[this.dataloaderPath.split("/").pop()] || [];
        } catch (error) {
          this.datasets = [];
          this.stepError = `Could not read the datasets: ${error.message}`;
        }
      },
      datasetPlace(dataset) {
        const places = ["instance_data_dir", "aws_bucket_name", "huggingface_dataset", "cache_dir"];
        return places.map((key) => dataset[key]).find(Boolean) || "";
      },
      openDatasetWizard() {
        window.dispatchEvent(new CustomEvent("open-dataset-wizard", { detail: { environment: this.target } }));
      },
      async datasetConfigured(event) {
        const detail = event.detail || {};
        if (detail.environment !== this.target) return;
        // the dataset wizard may have pointed data_backend_config at its file: read the config again before writing
        this.setOriginal(await this.readConfig(this.target));
        await this.loadDatasets();
        const name = detail.dataset && (detail.dataset.id || detail.dataset.name);
        this.announce(name ? `Dataset ${name} added.` : "Dataset added.");
      },

      // ----- the learning-rate step -----
      get presets() {
        return (this.familyEntry ? this.familyEntry.training_presets : []).filter(
          (preset) => preset.model_type === this.v.model_type,
        );
      },
      pickPreset(name) {
        this.preset = name;
        const preset = this.presets.find((p) => p.name === name);
        if (preset) for (const key of TRAINING_KEYS) if (key in preset.settings) this.v[key] = preset.settings[key];
      },
      get gpus() {
        return Number(this.current("num_processes")) || 1;
      },
      get batchFormula() {
        const v = this.v;
        const values = `${v.train_batch_size} × ${this.gpus} × ${v.gradient_accumulation_steps}`;
        return `train_batch_size × num_gpus × gradient_accumulation_steps = ${values}`;
      },
      get effectiveBatch() {
        const product = Number(this.v.train_batch_size) * this.gpus * Number(this.v.gradient_accumulation_steps);
        return Number.isFinite(product) ? product : "–";
      },

      // ----- what will be written -----
      desired() {
        const v = this.v;
        const out = {};
        const flavour = this.chosenFlavour;
        if (flavour) Object.assign(out, flavour.settings, { model_flavour: flavour.name });
        out.model_family = this.family;
        out.pretrained_model_name_or_path = String(v.pretrained_model_name_or_path).trim();
        out.model_type = v.model_type;
        if (v.model_type === "lora") {
          out.lora_type = v.lora_type;
          if (v.lora_type === "standard") out.lora_rank = v.lora_rank;
          out.base_model_precision = v.base_model_precision;
          out.deepspeed_stage = "0"; // DeepSpeed is for full fine-tunes
        } else {
          out.deepspeed_stage = v.deepspeed_stage;
          // a full fine-tune trains the base model's weights, which cannot be quantised
          const precision = String(this.current("base_model_precision"));
          if (!UNQUANTISED.includes(precision)) out.base_model_precision = "no_change";
        }
        const epochs = this.durationUnit === "epochs";
        out.num_train_epochs = epochs ? this.duration : 0;
        out.max_train_steps = epochs ? 0 : this.duration;
        out.checkpointing_steps = v.checkpointing_steps;
        out.push_to_hub = v.push_to_hub;
        if (v.push_to_hub) {
          out.hub_model_id = String(v.hub_model_id).trim();
          out.model_card_private = v.model_card_private;
          out.push_checkpoints_to_hub = v.push_checkpoints_to_hub;
        }
        out.validation_prompt = String(v.validation_prompt || "").trim();
        out.validation_steps = v.validation_steps;
        out.validation_method = v.validation_method;
        if (v.validation_method === "external-script") {
          out.validation_external_script = String(v.validation_external_script).trim();
          out.validation_external_background = v.validation_external_background;
        }
        out.report_to = v.report_to;
        if (v.report_to !== "none") {
          out.tracker_project_name = String(v.tracker_project_name || "").trim();
          out.tracker_run_name = String(v.tracker_run_name || "").trim();
        }
        for (const key of TRAINING_KEYS) out[key] = v[key];
        return out;
      },
      typed(name, value) {
        const kind = this.option(name).kind;
        if (kind === "int") return Math.trunc(Number(value));
        if (kind === "float") return Number(value);
        if (kind === "bool") return this.truthy(value);
        return String(value);
      },
      same(name, a, b) {
        const blank = (x) => x === null || x === undefined || x === "";
        if (blank(a) || blank(b)) return blank(a) && blank(b);
        const kind = this.option(name).kind;
        if (kind === "bool") return this.truthy(a) === this.truthy(b);
        if (kind === "int" || kind === "float") return Number(a) === Number(b);
        return String(a) === String(b);
      },
      changed(name) {
        return !this.same(name, this.current(name), this.v[name]);
      },
      // [{name, key, before, after, action}] for every value the wizard sets: add, change, remove or keep
      plan() {
        const rows = [];
        // what a chosen flavour needs is written out even where the default agrees, so that it stays set
        const needed = this.chosenFlavour ? Object.keys(this.chosenFlavour.settings) : [];
        const explicit = new Set([...ALWAYS_WRITE, ...needed]);
        for (const [name, value] of Object.entries(this.desired())) {
          const option = this.option(name);
          const key = this.keyOf(name);
          const present = this.has(name);
          const beforeText = this.currentText(name);
          const unset = option.default === undefined || option.default === null;
          const fallback = unset ? null : JSON.stringify(option.default);
          const textual = ["string", "path"].includes(option.kind) && !option.allow_empty;
          if (textual && value === "") {
            rows.push({ name, key, before: beforeText, after: null, action: present ? "remove" : "keep" });
          } else if (this.same(name, this.current(name), value) && (present || !explicit.has(name))) {
            const after = beforeText ?? JSON.stringify(this.typed(name, value));
            rows.push({ name, key, before: beforeText, after, action: "keep" });
          } else {
            const after = this.typed(name, value);
            const action = present ? "change" : "add";
            rows.push({ name, key, before: beforeText, fallback, after: JSON.stringify(after), action });
          }
        }
        return rows;
      },
      // config.json's new text: the untouched members exactly as written, the wizard's values in their place
      configText(rows) {
        const writes = new Map(rows.filter((row) => row.action !== "keep").map((row) => [row.key, row]));
        const members = [];
        for (const [key, text] of this.originalText) {
          const row = writes.get(key);
          writes.delete(key);
          if (!row) members.push([key, text]);
          else if (row.action !== "remove") members.push([key, row.after]);
        }
        for (const row of writes.values()) if (row.action !== "remove") members.push([row.key, row.after]);
        return `{\n  ${members.map(([key, text]) => `${JSON.stringify(key)}: ${text}`).join(",\n  ")}\n}`;
      },
      async prepareReview() {
        this.review = emptyReview(true);
        try {
          this.setOriginal(await this.readConfig(this.target)); // what is on disk now, in case it changed meanwhile
          const rows = this.plan();
          this.review.changes = rows.filter((row) => row.action !== "keep");
          this.review.unchanged = rows.filter((row) => row.action === "keep" && row.before !== null);
          await this.checkConfig(JSON.parse(this.configText(rows)));
        } catch (error) {
          this.review.failure = `The configuration could not be checked: ${error.message}`;
        } finally {
          this.review.checking = false;
        }
      },
      // POST /api/training/validate checks fields over the caller's active environment. When the wizard writes
      // another one, the active one's own keys that this config lacks are sent at their catalogue default (or left
      // out when there is none), so that the check sees what this environment alone would run with.
      async checkConfig(config) {
        const form = new FormData();
        const add = (key, value) => form.append(key, typeof value === "object" ? JSON.stringify(value) : String(value));
        for (const [key, value] of Object.entries(config)) if (value !== null && value !== undefined) add(key, value);
        if (this.target !== this.active && this.active) {
          const active = await simpletuner.api("GET", "/api/configs/active");
          const mine = new Set(Object.keys(config).map((key) => key.replace(/^--/, "")));
          const dropped = [];
          for (const name of Object.keys(active.config || {}).map((key) => key.replace(/^--/, ""))) {
            if (mine.has(name)) continue;
            const fallback = this.option(name).default;
            if (fallback === null || fallback === undefined) dropped.push(name);
            else add(`--${name}`, fallback);
          }
          form.append("__disabled_fields__", dropped.join(","));
        }
        const result = await simpletuner.api("POST", "/api/training/validate", form);
        this.review.errors = result.errors || [];
        this.review.warnings = (result.warnings || []).filter((w) => !/not a known option/.test(w.message));
        this.review.checked = true;
      },
      beforeLabel(row) {
        if (row.before !== null) return row.before;
        return row.fallback !== null && row.fallback !== undefined ? `(default ${row.fallback})` : "(not set)";
      },
      actionLabel(row) {
        return { add: "added", change: "changed", remove: "removed" }[row.action];
      },
      actionClass(row) {
        return { add: "accent", change: "warning", remove: "danger" }[row.action];
      },
      fixLabel(problem) {
        const step = this.stepOfField(problem.field);
        return step ? `Fix in ${this.stepTitle(step)}` : "";
      },
      stepOfField(field) {
        const id = WIZARD_FIELDS[field];
        return id ? this.steps.find((step) => step.id === id) : null;
      },

      // ----- writing -----
      async createEnvironment() {
        const name = this.newName.trim();
        const body = {
          name,
          model_family: this.family,
          model_flavour: this.flavour,
          model_type: this.v.model_type,
          lora_type: this.v.model_type === "lora" ? this.v.lora_type : "",
        };
        await simpletuner.api("POST", "/api/configs/environments", body);
        this.created = true;
        this.environments.push(name);
        await this.loadTarget(name);
        simpletuner.toast(`Environment ${name} created`, "success");
        window.dispatchEvent(new CustomEvent("environment-changed", { detail: { name, source: "wizard" } }));
      },
      async finish() {
        this.busy = true;
        this.stepError = "";
        try {
          const name = encodeURIComponent(this.target);
          const body = `{"config": ${this.configText(this.plan())}}`;
          const headers = { "Content-Type": "application/json", Accept: "application/json" };
          await simpletuner.api("PUT", `/api/configs/${name}`, undefined, { body, headers });
          await simpletuner.api("POST", `/api/configs/${name}/activate`);
          const detail = { name: this.target, source: "wizard" };
          window.dispatchEvent(new CustomEvent("environment-changed", { detail }));
          const message = `${this.target} is saved and selected: ready to train.`;
          if (simpletuner.flash) simpletuner.flash(message, "success");
          else simpletuner.toast(message, "success");
          window.location.assign("/");
        } catch (error) {
          this.stepError = `Nothing was finished: ${error.message}`;
          this.busy = false;
        }
      },
      // the header's switcher (or another component) changed the environments: follow a new active one
      async environmentChanged(event) {
        if (this.busy || (event.detail || {}).source === "wizard") return;
        try {
          const listing = await simpletuner.api("GET", "/api/configs/");
          this.environments = (listing.configs || []).map((c) => c.name);
          const active = listing.active || "";
          if (active === this.active) return;
          this.active = active;
          if (this.stepIndex === 0 && this.mode === "edit" && active) await this.modeChanged();
        } catch (error) {
          this.stepError = error.message;
        }
      },
    };
  }

  window.configWizard = configWizard;
  window.jsonMembers = jsonMembers;
})();
