// Shared helpers for every page: calls to the JSON API, toasts, permissions and the environment switcher.
"use strict";

window.simpletuner = (() => {
  class ApiError extends Error {
    constructor(status, message, body) {
      super(message);
      this.status = status;
      this.body = body;
    }
  }

  // The API's error bodies: {detail: "..."}, {detail: [{loc, msg}]} (422) or {errors: [{field, message}]}.
  function errorText(body, status) {
    if (!body) return `request failed (HTTP ${status})`;
    if (Array.isArray(body.errors) && body.errors.length) {
      return body.errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message || String(e))).join("\n");
    }
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.detail)) {
      return body.detail.map((d) => `${(d.loc || []).filter((x) => x !== "body").join(".")}: ${d.msg}`).join("\n");
    }
    return body.error || body.message || `request failed (HTTP ${status})`;
  }

  // The response body as text, exactly as sent (for callers that must keep a JSON file's own spelling).
  async function apiText(method, path, body, options = {}) {
    const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, { ...init, ...options });
    const text = await response.text();
    if (response.status === 401 && !options.allowUnauthenticated) {
      window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname)}`);
    }
    if (!response.ok) {
      const data = parse(text);
      throw new ApiError(response.status, errorText(data, response.status), data);
    }
    return text;
  }

  async function api(method, path, body, options = {}) {
    return parse(await apiText(method, path, body, options));
  }

  function parse(text) {
    try {
      return text ? JSON.parse(text) : null;
    } catch {
      return { detail: text };
    }
  }

  function toast(message, kind = "info", timeoutMs = 5000) {
    const box = document.getElementById("toasts");
    if (!box) return;
    const item = document.createElement("div");
    item.className = `toast toast-${kind}`;
    item.setAttribute("role", kind === "error" ? "alert" : "status");
    item.textContent = message;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    close.onclick = () => item.remove();
    item.append(close);
    box.append(item);
    if (timeoutMs) setTimeout(() => item.remove(), timeoutMs);
  }

  // Whether the signed-in user holds a permission (hiding what they cannot do; the API refuses it anyway).
  function can(permission) {
    const perms = (window.SIMPLETUNER_USER || {}).permissions || [];
    return perms.includes("*") || perms.includes(permission);
  }

  async function logout() {
    try {
      await api("POST", "/api/auth/logout");
    } finally {
      window.location.assign("/login");
    }
  }

  function formatDuration(seconds) {
    if (seconds == null || !isFinite(seconds)) return "–";
    const s = Math.max(0, Math.round(seconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = s % 60;
    return h ? `${h}h ${m}m` : m ? `${m}m ${sec}s` : `${sec}s`;
  }

  function formatBytes(bytes) {
    if (!bytes) return "0 B";
    const units = ["B", "KB", "MB", "GB", "TB"];
    const i = Math.min(units.length - 1, Math.floor(Math.log(bytes) / Math.log(1024)));
    return `${(bytes / 1024 ** i).toFixed(i ? 1 : 0)} ${units[i]}`;
  }

  // "12s ago" / "3m 5s ago" for a timestamp (ISO text or Date); "–" when there is none.
  function formatAgo(when) {
    if (!when) return "–";
    const seconds = (Date.now() - new Date(when).getTime()) / 1000;
    if (!isFinite(seconds)) return "–";
    return seconds < 5 ? "just now" : `${formatDuration(seconds)} ago`;
  }

  // Copies text to the clipboard; false when the browser refuses (the caller tells the user to copy by hand).
  async function copyText(text) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      return false;
    }
  }

  return { api, apiText, ApiError, errorText, toast, can, logout, formatDuration, formatBytes, formatAgo, copyText };
})();

// A toast for the next page this tab shows: for actions that end by going to another page (the wizard's Finish).
simpletuner.flash = (message, kind = "info") => {
  try {
    sessionStorage.setItem("simpletuner.flash", JSON.stringify({ message, kind }));
  } catch {
    simpletuner.toast(message, kind); // storage refused: show it now, however briefly
  }
};
document.addEventListener("DOMContentLoaded", () => {
  let flashed = null;
  try {
    flashed = JSON.parse(sessionStorage.getItem("simpletuner.flash") || "null");
    sessionStorage.removeItem("simpletuner.flash");
  } catch {
    flashed = null;
  }
  if (flashed && flashed.message) simpletuner.toast(flashed.message, flashed.kind);
});

// Header: lists the environments and activates the one picked (the page reloads to show it).
function environmentSwitcher() {
  return {
    names: [],
    active: "",
    busy: false,
    // Pages that create, rename, delete or activate environments say so with the same event: list them again.
    init() {
      window.addEventListener("environment-changed", (event) => {
        if ((event.detail || {}).source !== "switcher") this.load();
      });
    },
    async load() {
      if (!simpletuner.can("config.view")) return;
      try {
        const data = await simpletuner.api("GET", "/api/configs/");
        this.names = (data.configs || []).map((c) => c.name);
        this.active = data.active || "";
      } catch (error) {
        simpletuner.toast(error.message, "error");
      }
    },
    async activate() {
      this.busy = true;
      try {
        await simpletuner.api("POST", `/api/configs/${encodeURIComponent(this.active)}/activate`);
        simpletuner.toast(`Environment ${this.active} is active`, "success");
        window.dispatchEvent(new CustomEvent("environment-changed", { detail: { name: this.active, source: "switcher" } }));
      } catch (error) {
        simpletuner.toast(error.message, "error");
      } finally {
        this.busy = false;
      }
    },
  };
}
