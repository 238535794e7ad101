// The Datasets page: the folders of datasets_dir (browse, create, upload) and the active environment's
// configured datasets (from its dataloader file: add with the wizard, edit, remove). Everything goes through
// /api/datasets/* and /api/configs/{name}/dataloader, which check permissions again.
"use strict";

function datasetsPage() {
  const can = simpletuner.can;
  return {
    allowed: { upload: can("datasets.upload"), edit: can("config.edit.own"), viewConfigs: can("config.view") },
    environment: "",
    dataloader: null,
    configError: "",
    listing: { path: "", parent: null, root: "", entries: [] },
    browseError: "",
    browsing: false,
    newFolder: "",
    newFolderOpen: false,
    folderError: "",
    removing: null,
    removeError: "",
    announcement: "",

    get datasets() {
      return (this.dataloader && this.dataloader.datasets) || [];
    },
    get crumbs() {
      const parts = this.listing.path ? this.listing.path.split("/") : [];
      return parts.map((name, index) => ({ name, path: parts.slice(0, index + 1).join("/") }));
    },
    get generalProblems() {
      const all = this.dataloader ? [...this.dataloader.errors, ...this.dataloader.warnings] : [];
      return all.filter((problem) => problem.index === null);
    },

    async init() {
      await Promise.all([this.loadEnvironment(), this.browse("")]);
    },

    async loadEnvironment() {
      if (!this.allowed.viewConfigs) return;
      try {
        const listing = await simpletuner.api("GET", "/api/configs/");
        this.environment = listing.active || "";
        await this.loadDatasets();
      } catch (error) {
        this.configError = error.message;
      }
    },

    async loadDatasets() {
      this.configError = "";
      if (!this.environment) {
        this.dataloader = null;
        return;
      }
      try {
        const name = encodeURIComponent(this.environment);
        this.dataloader = await simpletuner.api("GET", `/api/configs/${name}/dataloader`);
      } catch (error) {
        this.dataloader = null;
        this.configError = error.message;
      }
    },

    async browse(path) {
      this.browsing = true;
      this.browseError = "";
      try {
        this.listing = await datasetTools.browse(path);
        this.announcement = `Showing ${this.listing.path || "the datasets folder"}`;
      } catch (error) {
        this.browseError = error.message;
      } finally {
        this.browsing = false;
      }
    },

    problemsOf(index) {
      if (!this.dataloader) return [];
      const tagged = (list, kind) => list.filter((p) => p.index === index).map((p) => ({ ...p, kind }));
      return [...tagged(this.dataloader.errors, "error"), ...tagged(this.dataloader.warnings, "warning")];
    },

    problemText(problem) {
      const what = problem.kind === "error" ? "Error" : "Note";
      return `${what}: ${problem.key ? `${problem.key}: ` : ""}${problem.message}`;
    },

    // Where an entry's images are: relative to datasets_dir when inside it.
    folderOf(entry) {
      if (!entry.instance_data_dir) return entry.dataset_type === "text_embeds" ? entry.cache_dir || "–" : "–";
      const relative = datasetTools.relativeTo(this.listing.root, entry.instance_data_dir);
      return relative === null ? entry.instance_data_dir : relative || "(datasets folder)";
    },

    captionsOf(entry) {
      if (entry.dataset_type && entry.dataset_type !== "image") return "–";
      const strategy = entry.caption_strategy || "filename";
      return strategy === "instanceprompt" ? `instance prompt “${entry.instance_prompt || ""}”` : strategy;
    },

    isImage(entry) {
      return (entry.dataset_type || "image") === "image";
    },

    cropOf(entry) {
      return entry.crop ? `${entry.crop_style || "random"}, ${entry.crop_aspect || "square"}` : "off";
    },

    resolutionOf(entry) {
      if (entry.resolution === undefined || entry.resolution === null) return "run's setting";
      return `${entry.resolution}${entry.resolution_type ? ` (${entry.resolution_type})` : ""}`;
    },

    editable(entry) {
      return this.allowed.edit && (entry.dataset_type || "image") === "image" && entry.type === "local";
    },

    // The default text_embeds entry stays: the wizard and the trainer rely on it.
    removable(entry) {
      return this.allowed.edit && !(entry.dataset_type === "text_embeds" && entry.default);
    },

    addDataset(folder) {
      const detail = { environment: this.environment };
      if (folder !== undefined) detail.folder = folder;
      window.dispatchEvent(new CustomEvent("open-dataset-wizard", { detail }));
    },

    editDataset(entry) {
      const detail = { environment: this.environment, dataset: entry };
      window.dispatchEvent(new CustomEvent("open-dataset-wizard", { detail }));
    },

    askRemove(entry) {
      this.removing = entry;
      this.removeError = "";
      this.$refs.removeDialog.showModal();
    },

    async remove() {
      const entry = this.removing;
      const name = encodeURIComponent(this.environment);
      try {
        const fresh = await simpletuner.api("GET", `/api/configs/${name}/dataloader`);
        const datasets = (fresh.datasets || []).filter((item) => item.id !== entry.id);
        await simpletuner.api("PUT", `/api/configs/${name}/dataloader`, {
          datasets,
          etag: fresh.etag,
          ensure_text_embeds: true,
        });
        this.$refs.removeDialog.close();
        simpletuner.toast(`Dataset ${entry.id} removed from ${this.environment} (its files stay)`, "success");
        await this.loadDatasets();
      } catch (error) {
        this.removeError = error.message;
      }
    },

    openNewFolder() {
      this.newFolderOpen = true;
      this.folderError = "";
      this.$nextTick(() => this.$refs.newFolderInput.focus());
    },

    async createFolder() {
      this.folderError = "";
      try {
        const made = await simpletuner.api("POST", "/api/datasets/folders", {
          parent_path: this.listing.path,
          folder_name: this.newFolder,
        });
        simpletuner.toast(`Folder ${made.path} created`, "success");
        Object.assign(this, { newFolder: "", newFolderOpen: false });
        await this.browse(this.listing.path);
      } catch (error) {
        this.folderError = error.message;
      }
    },

    upload() {
      const detail = { source: "page", parent: this.listing.path };
      window.dispatchEvent(new CustomEvent("open-dataset-upload", { detail }));
    },

    async uploaded(detail) {
      if (detail.source !== "page") return;
      const { summary } = detail;
      const skipped = summary.files_skipped ? ` (${summary.files_skipped} skipped: ${summary.errors.join("; ")})` : "";
      const kind = summary.files_skipped ? "warning" : "success";
      const files = datasetTools.plural(summary.files_uploaded, "file");
      simpletuner.toast(`Uploaded ${files} to ${detail.path}${skipped}`, kind);
      await this.browse(this.listing.path);
    },

    async configured() {
      await Promise.all([this.loadDatasets(), this.browse(this.listing.path)]);
    },
  };
}
