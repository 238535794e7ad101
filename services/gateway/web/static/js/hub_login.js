// Log in to the Hugging Face Hub (wizard and Publishing tab): the token is checked by the Hub, saved as yours by
// the server and never shown again; other components hear of changes through the "hub-login-changed" event.
(() => {
  "use strict";

  function hubLogin() {
    return {
      allowed: simpletuner.can("job.submit"), // uploads belong to runs: who cannot start one has no login to keep
      loading: true,
      login: { saved: false, username: null, namespaces: [] },
      token: "",
      busy: false,
      error: "",

      async init() {
        if (!this.allowed) {
          this.loading = false;
          return;
        }
        try {
          this.changed(await simpletuner.api("GET", "/api/publishing/token"));
        } catch (error) {
          this.error = error.message;
        } finally {
          this.loading = false;
        }
      },

      changed(login) {
        this.login = login;
        window.dispatchEvent(new CustomEvent("hub-login-changed", { detail: login }));
      },

      async logIn() {
        const token = this.token.trim();
        if (!token) {
          this.error = "Paste a Hugging Face access token with write access.";
          return;
        }
        this.busy = true;
        this.error = "";
        try {
          this.changed(await simpletuner.api("POST", "/api/publishing/token/save", { token }));
          this.token = "";
          simpletuner.toast(`Logged in to the Hub as ${this.login.username}`, "success");
        } catch (error) {
          this.error = error.message;
        } finally {
          this.busy = false;
        }
      },

      async logOut() {
        this.busy = true;
        this.error = "";
        try {
          await simpletuner.api("POST", "/api/publishing/token/logout");
          this.changed({ saved: false, username: null, namespaces: [] });
        } catch (error) {
          this.error = error.message;
        } finally {
          this.busy = false;
        }
      },
    };
  }

  window.hubLogin = hubLogin;
})();
