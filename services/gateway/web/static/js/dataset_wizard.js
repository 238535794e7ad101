// The dataset wizard (templates/partials/dataset_wizard.html) and the two dialogs it shares with the Datasets
// page: the directory browser over datasets_dir and the uploader (a new folder, files or a ZIP, with progress).
//
// Open the wizard with window.dispatchEvent(new CustomEvent("open-dataset-wizard", {detail: {environment}}))
// (optional detail.dataset: an entry to edit; detail.folder: a folder of datasets_dir to start from). Once the
// dataset is in the environment's dataloader file it dispatches "dataset-configured" {environment, dataset}.
// Key names, defaults and allowed values come from GET /api/datasets/schema (libs/options/dataloader.py).
"use strict";

const RUN_DEFAULTS = ["resolution", "resolution_type"]; // run options a dataset's own keys default to

window.datasetTools = (() => {
  let schemaRequest = null;

  // The dataloader schema as {name: field}, fetched once per page.
  function schema() {
    if (!schemaRequest) {
      schemaRequest = simpletuner
        .api("GET", "/api/datasets/schema")
        .then((data) => Object.fromEntries(data.fields.map((field) => [field.name, field])));
      schemaRequest.catch(() => {
        schemaRequest = null; // let the next caller try again
      });
    }
    return schemaRequest;
  }

  function browse(path) {
    return simpletuner.api("GET", `/api/datasets/browse?path=${encodeURIComponent(path || "")}`);
  }

  function parentOf(path) {
    const cut = (path || "").lastIndexOf("/");
    return cut < 0 ? "" : path.slice(0, cut);
  }

  // A folder of datasets_dir with its counts (as its parent's listing reports them).
  async function folderInfo(path) {
    const listing = await browse(parentOf(path));
    const entry = listing.entries.find((item) => item.path === path && item.is_dir);
    return {
      path,
      root: listing.root,
      name: path ? path.split("/").pop() : listing.root,
      image_count: entry ? entry.image_count : 0,
      caption_count: entry ? entry.caption_count : 0,
    };
  }

  function joinPath(root, relative) {
    return relative ? `${root.replace(/\/+$/, "")}/${relative}` : root;
  }

  // `absolute` relative to datasets_dir (`root`), or null when it lies elsewhere.
  function relativeTo(root, absolute) {
    const base = (root || "").replace(/\/+$/, "");
    if (!base || !absolute) return null;
    if (absolute === base) return "";
    return absolute.startsWith(`${base}/`) ? absolute.slice(base.length + 1) : null;
  }

  // "My Cats (2)" -> "my-cats-2": a dataset id that is also a safe folder name for its caches.
  function slug(text) {
    return (text || "")
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, "-")
      .replace(/^[-._]+|[-._]+$/g, "")
      .slice(0, 64);
  }

  function requestId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID(); // only in secure contexts
    return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  }

  // POST a multipart form, reporting upload progress (fetch cannot); rejects with a simpletuner.ApiError.
  function upload(path, form, onProgress) {
    return new Promise((resolve, reject) => {
      const request = new XMLHttpRequest();
      request.open("POST", path);
      request.setRequestHeader("Accept", "application/json");
      request.upload.onprogress = (event) => {
        if (event.lengthComputable) onProgress(Math.round((event.loaded / event.total) * 100));
      };
      request.onload = () => {
        let body = null;
        try {
          body = request.responseText ? JSON.parse(request.responseText) : null;
        } catch {
          body = { detail: request.responseText };
        }
        if (request.status >= 200 && request.status < 300) return resolve(body);
        const message = simpletuner.errorText(body, request.status);
        reject(new simpletuner.ApiError(request.status, message, body));
      };
      request.onerror = () =>
        reject(new simpletuner.ApiError(0, "the upload was interrupted: check the connection and try again", null));
      request.send(form);
    });
  }

  function plural(count, word) {
    return `${count} ${word}${count === 1 ? "" : "s"}`;
  }

  let defaultsRequest = null;

  // The run options a dataset falls back to (resolution, resolution_type), as the options catalogue
  // defines them: {resolution: 1024, ...}. An environment's own config overrides them.
  function runDefaults() {
    if (!defaultsRequest) {
      const one = (name) => simpletuner.api("GET", `/api/fields/field/${name}`).then((f) => [name, f.default]);
      defaultsRequest = Promise.all(RUN_DEFAULTS.map(one)).then(Object.fromEntries);
      defaultsRequest.catch(() => {
        defaultsRequest = null;
      });
    }
    return defaultsRequest;
  }

  return {
    schema,
    runDefaults,
    browse,
    folderInfo,
    parentOf,
    joinPath,
    relativeTo,
    slug,
    requestId,
    upload,
    plural,
  };
})();

// The directory browser: lists datasets_dir, lets the user walk in and out, and hands back one folder.
// Opened by "open-dataset-browser" {source, path}; answers "dataset-directory-selected" {source, ...folder}.
function datasetBrowser() {
  return {
    source: "",
    path: "",
    parent: null,
    root: "",
    entries: [],
    selected: null,
    loading: false,
    error: "",
    announcement: "",

    get folders() {
      return this.entries.filter((entry) => entry.is_dir);
    },
    get fileCount() {
      return this.entries.length - this.folders.length;
    },
    get crumbs() {
      const parts = this.path ? this.path.split("/") : [];
      return parts.map((name, index) => ({ name, path: parts.slice(0, index + 1).join("/") }));
    },
    get choice() {
      return this.selected || (this.path ? { path: this.path, name: this.path.split("/").pop() } : null);
    },

    async show(detail) {
      this.source = detail.source || "";
      this.$refs.dialog.showModal();
      await this.load(detail.path || "");
    },

    async load(path) {
      this.loading = true;
      this.error = "";
      try {
        const listing = await datasetTools.browse(path);
        Object.assign(this, { path: listing.path, parent: listing.parent, root: listing.root });
        this.entries = listing.entries;
        this.selected = null;
        const folders = datasetTools.plural(this.folders.length, "folder");
        this.announcement = `${listing.path || "datasets folder"}: ${folders}`;
      } catch (error) {
        this.error = error.message;
      } finally {
        this.loading = false;
      }
    },

    isSelected(entry) {
      return Boolean(this.selected && this.selected.path === entry.path);
    },

    select(entry) {
      this.selected = entry;
      this.announcement = `${entry.name} selected`;
    },

    async choose() {
      const choice = this.choice;
      if (!choice) return;
      let folder = this.selected;
      if (!folder) {
        try {
          folder = await datasetTools.folderInfo(choice.path);
        } catch (error) {
          this.error = error.message;
          return;
        }
      }
      const detail = { source: this.source, root: this.root, ...folder };
      this.$refs.dialog.close();
      window.dispatchEvent(new CustomEvent("dataset-directory-selected", { detail }));
    },
  };
}

// The uploader: an optional new sub-folder, then files or one ZIP archive into it, with progress and the
// server's refusals. Opened by "open-dataset-upload" {source, parent}; answers "dataset-uploaded"
// {source, path, summary} once the files are stored.
function datasetUpload() {
  return {
    source: "",
    parent: "",
    folderName: "",
    created: "", // a folder this dialog already made (a retry after a failed upload reuses it)
    mode: "zip",
    busy: false,
    progress: 0,
    phase: "",
    errors: {},

    get target() {
      return this.folderName ? [this.parent, this.folderName].filter(Boolean).join("/") : this.parent;
    },

    show(detail) {
      Object.assign(this, { source: detail.source || "", parent: detail.parent || "", folderName: "" });
      Object.assign(this, { created: "", mode: "zip", busy: false, progress: 0, phase: "", errors: {} });
      this.$refs.files.value = "";
      this.$refs.archive.value = "";
      this.$refs.dialog.showModal();
    },

    chosenFiles() {
      const input = this.mode === "zip" ? this.$refs.archive : this.$refs.files;
      return Array.from(input.files || []);
    },

    async submit() {
      this.errors = {};
      const files = this.chosenFiles();
      if (!files.length) {
        this.errors.files = this.mode === "zip" ? "Choose a .zip archive to upload." : "Choose the files to upload.";
        return;
      }
      this.busy = true;
      try {
        const target = await this.folder();
        if (target === null) return;
        const summary = await this.send(target, files);
        this.$refs.dialog.close();
        window.dispatchEvent(
          new CustomEvent("dataset-uploaded", { detail: { source: this.source, path: target, summary } }),
        );
      } finally {
        this.busy = false;
      }
    },

    // The folder to upload into: created first when a new name is given; null when that failed.
    async folder() {
      const target = this.target;
      if (!this.folderName || this.created === target) return target;
      this.phase = "Creating the folder…";
      try {
        const made = await simpletuner.api("POST", "/api/datasets/folders", {
          parent_path: this.parent,
          folder_name: this.folderName,
        });
        this.created = made.path;
        return made.path;
      } catch (error) {
        this.errors.folder_name = error.message;
        this.phase = "";
        return null;
      }
    },

    async send(target, files) {
      const form = new FormData();
      form.append("target_path", target);
      if (this.mode === "zip") form.append("file", files[0]);
      else files.forEach((file) => form.append("files", file));
      const path = this.mode === "zip" ? "/api/datasets/upload/zip" : "/api/datasets/upload";
      this.progress = 0;
      this.phase = `Uploading ${datasetTools.plural(files.length, "file")}…`;
      try {
        const summary = await datasetTools.upload(path, form, (percent) => {
          this.progress = percent;
          if (percent === 100) this.phase = this.mode === "zip" ? "Checking and extracting…" : "Storing…";
        });
        this.phase = "";
        return summary;
      } catch (error) {
        this.errors.files = error.message;
        this.phase = "";
        throw error;
      }
    },
  };
}

const WIZARD_STEPS = ["Kind", "Folder", "Settings", "Captions", "Review"];
// Words for the values the schema lists; values missing here are shown as written.
const KIND_TEXT = {
  local: ["Local folder", "Images and captions in a folder on this machine, under the datasets folder."],
};
const CAPTION_TEXT = {
  instanceprompt: [
    "Instance prompt",
    "Every image gets the same caption: your trigger word or phrase. If you only want to use a trigger word, " +
      "this is the option.",
  ],
  textfile: ["Text files", "Each image has a .txt file of the same name holding its caption (cat01.png → cat01.txt)."],
  filename: [
    "File names",
    "The file name is the caption: underscores become spaces, and copy counters such as “ (2)” are dropped " +
      "(a_red_fox (2).png → “a red fox”).",
  ],
};
const WIZARD_CAPTIONS = ["instanceprompt", "textfile", "filename"]; // those that need no extra metadata file
const RESOLUTION_TEXT = {
  pixel: "pixel: the shorter edge, in pixels",
  pixel_area: "pixel_area: an area of resolution × resolution pixels (aspect kept)",
  area: "area: megapixels (1.0 ≈ 1024 × 1024)",
};
const CROP_STYLE_HIDDEN = ["centre"]; // the same as center; kept readable when an entry already uses it
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function datasetWizard() {
  return {
    steps: WIZARD_STEPS,
    step: 0,
    environment: "",
    schema: null,
    loading: false,
    loadError: "",
    current: [], // the environment's datasets as last read
    original: null, // the entry being edited (null: a new dataset)
    form: {},
    folder: null,
    errors: {},
    saveErrors: [],
    otherErrors: [],
    note: "",
    saving: false,
    requestId: "",
    announcement: "",
    canUpload: simpletuner.can("datasets.upload"),

    get kinds() {
      return this.schema ? this.schema.type.supported : [];
    },
    get unavailableKinds() {
      return this.schema ? this.schema.type.choices.filter((kind) => !this.kinds.includes(kind)) : [];
    },
    get captionStrategies() {
      return this.schema ? WIZARD_CAPTIONS.filter((s) => this.schema.caption_strategy.supported.includes(s)) : [];
    },
    get resolutionTypes() {
      return this.schema ? this.schema.resolution_type.supported : [];
    },
    get cropStyles() {
      if (!this.schema) return [];
      return this.schema.crop_style.supported.filter(
        (s) => !CROP_STYLE_HIDDEN.includes(s) || s === this.form.crop_style,
      );
    },
    get cropAspects() {
      return this.schema ? this.schema.crop_aspect.supported : [];
    },
    get needsBuckets() {
      return this.form.crop && ["random", "closest"].includes(this.form.crop_aspect);
    },
    get captionWarning() {
      if (this.form.caption_strategy !== "textfile" || !this.folder) return "";
      const { image_count: images, caption_count: captions } = this.folder;
      if (!captions) {
        return (
          "This folder has no .txt captions. Every image needs a text file of the same name holding its caption: " +
          "upload them, or choose another strategy (Instance prompt for a trigger word)."
        );
      }
      if (captions < images) return `Only ${captions} of ${images} images have a .txt caption; add the rest.`;
      return "";
    },
    get hasTextEmbeds() {
      return this.current.some((entry) => entry.dataset_type === "text_embeds" && !entry.disabled);
    },
    get keptIds() {
      return this.current.filter((entry) => !this.original || entry.id !== this.original.id).map((e) => e.id);
    },

    kindText(kind) {
      return KIND_TEXT[kind] || [kind, ""];
    },
    captionText(strategy) {
      return CAPTION_TEXT[strategy] || [strategy, ""];
    },
    resolutionText(value) {
      return RESOLUTION_TEXT[value] || value;
    },
    plural: datasetTools.plural,

    async openWizard(detail = {}) {
      Object.assign(this, { step: 0, errors: {}, saveErrors: [], otherErrors: [], note: "", saving: false });
      Object.assign(this, { folder: null, original: detail.dataset || null, requestId: datasetTools.requestId() });
      this.environment = detail.environment || "";
      this.$refs.dialog.showModal();
      this.loading = true;
      this.loadError = "";
      try {
        await this.load(detail);
      } catch (error) {
        this.loadError = error.message;
      } finally {
        this.loading = false;
      }
    },

    async load(detail) {
      if (!this.environment) {
        const listing = await simpletuner.api("GET", "/api/configs/");
        this.environment = listing.active || "";
        if (!this.environment) throw new Error("No active environment: create or activate one first.");
      }
      const name = encodeURIComponent(this.environment);
      const [schema, dataloader, environment, runDefaults] = await Promise.all([
        datasetTools.schema(),
        simpletuner.api("GET", `/api/configs/${name}/dataloader`),
        simpletuner.api("GET", `/api/configs/${name}`),
        datasetTools.runDefaults(),
      ]);
      this.schema = schema;
      this.current = dataloader.datasets || [];
      this.form = this.initialForm({ ...runDefaults, ...(environment.config || {}) });
      if (this.original) await this.loadFolder(this.original.instance_data_dir);
      else if (detail.folder !== undefined) await this.useFolder(await datasetTools.folderInfo(detail.folder));
    },

    // The form for a new dataset (schema defaults, the run's resolution), or the edited entry's values.
    initialForm(config) {
      const given = (key) => config[`--${key}`] ?? config[key] ?? null;
      const fromSchema = (key) => this.schema[key].default;
      const entry = this.original || {};
      const pick = (key, fallback) => (entry[key] !== undefined && entry[key] !== null ? entry[key] : fallback);
      const crop = pick("crop", fromSchema("crop"));
      return {
        type: pick("type", this.kinds[0]),
        id: entry.id || "",
        resolution: pick("resolution", given("resolution") ?? ""),
        resolution_type: pick("resolution_type", given("resolution_type") || this.resolutionTypes[0]),
        crop: Boolean(crop),
        crop_style: pick("crop_style", fromSchema("crop_style")),
        crop_aspect: pick("crop_aspect", fromSchema("crop_aspect")),
        crop_aspect_buckets: (entry.crop_aspect_buckets || [])
          .map((bucket) => (typeof bucket === "object" ? bucket.aspect_bucket : bucket))
          .join(", "),
        minimum_image_size: pick("minimum_image_size", ""),
        repeats: pick("repeats", fromSchema("repeats")),
        caption_strategy: pick("caption_strategy", this.original ? fromSchema("caption_strategy") : "textfile"),
        instance_prompt: entry.instance_prompt || "",
      };
    },

    async loadFolder(absolute) {
      const listing = await datasetTools.browse("");
      const relative = datasetTools.relativeTo(listing.root, absolute);
      if (relative === null) {
        this.folder = { path: absolute, root: "", name: absolute, image_count: 0, caption_count: 0, outside: true };
        return;
      }
      this.folder = await datasetTools.folderInfo(relative);
    },

    useFolder(folder) {
      this.folder = folder;
      this.errors.folder = "";
      if (!this.original && !this.form.id) this.form.id = datasetTools.slug(folder.name);
      this.announcement = `Folder ${folder.path} selected: ${this.plural(folder.image_count, "image")}`;
    },

    browse() {
      const start = this.folder && !this.folder.outside ? datasetTools.parentOf(this.folder.path) : "";
      window.dispatchEvent(new CustomEvent("open-dataset-browser", { detail: { source: "wizard", path: start } }));
    },

    upload() {
      window.dispatchEvent(new CustomEvent("open-dataset-upload", { detail: { source: "wizard", parent: "" } }));
    },

    directoryChosen(detail) {
      if (detail.source === "wizard") this.useFolder(detail);
    },

    async uploaded(detail) {
      if (detail.source !== "wizard") return;
      const { summary } = detail;
      const skipped = summary.files_skipped
        ? ` ${summary.files_skipped} skipped: ${summary.errors.join("; ")}`
        : "";
      this.note = `Uploaded ${this.plural(summary.files_uploaded, "file")} to ${detail.path}.${skipped}`;
      try {
        this.useFolder(await datasetTools.folderInfo(detail.path));
      } catch (error) {
        this.errors.folder = error.message;
      }
    },

    // Problems of the current step, as {field: message} (the server checks everything again on save).
    stepErrors() {
      const found = {};
      const form = this.form;
      if (this.step === 1 && !this.folder) found.folder = "Choose the folder holding the images (or upload one).";
      if (this.step === 2) {
        const id = String(form.id || "").trim();
        if (!id) found.id = "Give the dataset an id: caches and resumed runs find it by this name.";
        else if (!ID_PATTERN.test(id)) {
          found.id = "Use letters, digits, '.', '_' or '-' (start with a letter or digit).";
        } else if (this.keptIds.includes(id)) {
          found.id = `${id} is already a dataset of ${this.environment}; pick another id.`;
        }
        if (!(Number(form.resolution) > 0)) found.resolution = "Enter a resolution above 0.";
        if (form.minimum_image_size !== "" && !(Number(form.minimum_image_size) >= 0)) {
          found.minimum_image_size = "Enter 0 or more, or leave it empty.";
        }
        if (!(Number.isInteger(Number(form.repeats)) && Number(form.repeats) >= 0)) {
          found.repeats = "Enter a whole number, 0 or more.";
        }
        if (this.needsBuckets && !this.buckets().length) {
          found.crop_aspect_buckets = "List the aspect ratios to choose from, e.g. 0.75, 1.0, 1.33.";
        }
      }
      if (this.step === 3 && form.caption_strategy === "instanceprompt" && !form.instance_prompt.trim()) {
        found.instance_prompt = "Enter the trigger word or phrase every image is captioned with.";
      }
      return found;
    },

    buckets() {
      return String(this.form.crop_aspect_buckets || "")
        .split(/[\s,]+/)
        .filter(Boolean)
        .map(Number)
        .filter((value) => value > 0);
    },

    next() {
      this.errors = this.stepErrors();
      const first = Object.keys(this.errors)[0];
      if (first) {
        this.announcement = this.errors[first];
        this.$nextTick(() => this.$refs.dialog.querySelector(`[data-field="${first}"]`)?.focus());
        return;
      }
      this.step = Math.min(this.step + 1, this.steps.length - 1);
      this.announcement = `Step ${this.step + 1} of ${this.steps.length}: ${this.steps[this.step]}`;
    },

    back() {
      this.errors = {};
      this.step = Math.max(this.step - 1, 0);
    },

    goTo(index) {
      if (index < this.step) {
        this.errors = {};
        this.step = index;
      }
    },

    // The dataset entry the form describes; an edited entry keeps the keys the wizard does not show.
    entry() {
      const form = this.form;
      const entry = { ...(this.original || {}) };
      const folder = this.folder;
      Object.assign(entry, {
        id: String(form.id).trim(),
        type: form.type,
        dataset_type: entry.dataset_type || "image",
        instance_data_dir: folder.outside ? folder.path : datasetTools.joinPath(folder.root, folder.path),
        caption_strategy: form.caption_strategy,
        resolution: Number(form.resolution),
        resolution_type: form.resolution_type,
        crop: form.crop,
        repeats: Number(form.repeats),
      });
      if (form.crop) Object.assign(entry, { crop_style: form.crop_style, crop_aspect: form.crop_aspect });
      if (this.needsBuckets) entry.crop_aspect_buckets = this.buckets();
      if (form.minimum_image_size !== "" && form.minimum_image_size !== null) {
        entry.minimum_image_size = Number(form.minimum_image_size);
      } else delete entry.minimum_image_size;
      if (form.caption_strategy === "instanceprompt") entry.instance_prompt = form.instance_prompt.trim();
      return entry;
    },

    get preview() {
      return this.folder && this.form.id !== undefined ? JSON.stringify(this.entry(), null, 2) : "";
    },

    // The file's datasets with this one added (or put in the edited one's place).
    withEntry(datasets, entry) {
      const at = this.original ? datasets.findIndex((item) => item.id === this.original.id) : -1;
      if (at < 0) return { list: [...datasets, entry], index: datasets.length };
      const list = [...datasets];
      list[at] = entry;
      return { list, index: at };
    },

    async save() {
      this.saving = true;
      this.saveErrors = [];
      this.otherErrors = [];
      const name = encodeURIComponent(this.environment);
      try {
        const fresh = await simpletuner.api("GET", `/api/configs/${name}/dataloader`);
        const entry = this.entry();
        const { list, index } = this.withEntry(fresh.datasets || [], entry);
        const body = { datasets: list, etag: fresh.etag, ensure_text_embeds: true, request_id: this.requestId };
        const saved = await simpletuner.api("PUT", `/api/configs/${name}/dataloader`, body);
        const dataset = saved.datasets[index] || entry;
        this.$refs.dialog.close();
        simpletuner.toast(`Dataset ${dataset.id} saved in ${saved.path}`, "success");
        const detail = { environment: this.environment, dataset };
        window.dispatchEvent(new CustomEvent("dataset-configured", { detail }));
      } catch (error) {
        this.showSaveError(error);
      } finally {
        this.saving = false;
      }
    },

    // The server's refusals: this dataset's problems by key, other entries' problems listed apart.
    showSaveError(error) {
      const problems = (error.body && error.body.errors) || [];
      if (!problems.length) {
        this.saveErrors = [error.message];
        return;
      }
      const mine = [this.original && this.original.id, String(this.form.id).trim()].filter(Boolean);
      for (const problem of problems) {
        const text = problem.key ? `${problem.key}: ${problem.message}` : problem.message;
        if (mine.includes(problem.dataset_id)) this.saveErrors.push(text);
        else this.otherErrors.push(`${problem.dataset_id || problem.field}: ${text}`);
      }
      this.announcement = "The dataset was not saved: see the problems listed.";
    },

    cancel(event) {
      if (this.saving) event.preventDefault();
    },
  };
}
