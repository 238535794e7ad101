// Helpers shared by the account pages (Manage Users, Profile): permission groups, dates and a confirm dialog.
"use strict";

window.accounts = (() => {
  // Display names of permission areas; an area the catalogue adds later shows under its own name.
  const AREA_LABELS = {
    job: "Jobs",
    config: "Configs",
    datasets: "Datasets",
    queue: "Queue",
    quota: "Quotas",
    admin: "Administration",
    org: "Organizations",
    team: "Teams",
    api: "API",
  };

  function areaLabel(area) {
    return AREA_LABELS[area] || area.charAt(0).toUpperCase() + area.slice(1);
  }

  // [{area, label, names}] in the catalogue's order; `only` keeps just those names (e.g. a user's own).
  function groupPermissions(catalogue, only) {
    const keep = only ? new Set(only) : null;
    const groups = new Map();
    for (const entry of catalogue) {
      const name = typeof entry === "string" ? entry : entry.name;
      if (keep && !keep.has(name)) continue;
      const area = typeof entry === "string" ? name.split(".")[0] : entry.category;
      if (!groups.has(area)) groups.set(area, { area, label: areaLabel(area), names: [] });
      groups.get(area).names.push(name);
    }
    return [...groups.values()];
  }

  function when(iso) {
    if (!iso) return "–";
    const date = new Date(iso);
    return isNaN(date) ? "–" : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }

  // Compact, for tables: "Dec 2, 2:47 PM" this year, "Dec 2, 2025" before (the cell's title has the full time).
  function short(iso) {
    if (!iso) return "–";
    const date = new Date(iso);
    if (isNaN(date)) return "–";
    const thisYear = date.getFullYear() === new Date().getFullYear();
    const options = thisYear ? { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" } : { dateStyle: "medium" };
    return date.toLocaleString(undefined, options);
  }

  // A confirm dialog whose action runs inside it: an error stays in the dialog, next to the button that failed.
  // Mix into an Alpine component; the template is templates/_confirm_dialog.html (x-ref="confirmDialog").
  function confirmable() {
    return {
      confirm: { title: "", message: "", action: "", danger: true, busy: false, error: "", run: null },
      ask({ title, message, action, danger = true, run }) {
        this.confirm = { title, message, action, danger, busy: false, error: "", run };
        this.$refs.confirmDialog.showModal();
      },
      async confirmed() {
        this.confirm.busy = true;
        this.confirm.error = "";
        try {
          await this.confirm.run();
          this.$refs.confirmDialog.close();
        } catch (error) {
          this.confirm.error = error.message;
        } finally {
          this.confirm.busy = false;
        }
      },
    };
  }

  return { areaLabel, groupPermissions, when, short, confirmable };
})();
