// The header's availability switch: activity heartbeats (at most one a minute, only after the member
// did something) so inactivity turns them Away, and a live stream so a change made elsewhere (the
// inactivity worker, another tab, the API) shows at once here and on the team page.
(() => {
  var HEARTBEAT_MS = 60000;
  var lastBeat = 0;
  var pending = false;

  function csrfHeaders() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    } catch {
      return {};
    }
  }

  function beat() {
    var now = Date.now();
    if (pending || now - lastBeat < HEARTBEAT_MS) return;
    pending = true;
    lastBeat = now;
    fetch("/availability/heartbeat", { method: "POST", headers: csrfHeaders(), credentials: "same-origin" }).finally(() => {
      pending = false;
    });
  }
  ["keydown", "mousedown", "touchstart", "scroll"].forEach((type) => {
    document.addEventListener(type, beat, { passive: true, capture: true });
  });

  function labelOf(holder, status) {
    return holder?.getAttribute(`data-label-${status}`) || status;
  }

  function apply(update) {
    var control = document.getElementById("availability-control");
    if (control && control.getAttribute("data-user-id") === update.userId) {
      var select = control.querySelector("select");
      if (select) select.value = update.status;
      control.className = `availability-control availability-${update.status}`;
    }
    var team = document.getElementById("team-availability");
    document.querySelectorAll(`[data-availability-user="${CSS.escape(update.userId)}"]`).forEach((cell) => {
      cell.setAttribute("data-status", update.status);
      var badge = cell.querySelector(".badge");
      if (badge) {
        badge.textContent = labelOf(team, update.status);
        badge.className = `badge badge-${update.status === "online" ? "ok" : update.status === "away" ? "warn" : "muted"}`;
      }
    });
  }

  // The header's switch is fetched after the page loads; the stream waits for it (or its failure) so
  // it can ask for what changed since the earlier of its render and the team table's.
  var controlFailed = false;
  function controlPending() {
    var control = document.getElementById("availability-control");
    return control && !control.hasAttribute("data-user-id") && !controlFailed;
  }
  function streamUrl() {
    var times = [];
    document.querySelectorAll("#availability-control[data-rendered-at], #team-availability[data-rendered-at]").forEach((el) => {
      var t = Number(el.getAttribute("data-rendered-at"));
      if (t > 0) times.push(t);
    });
    return times.length ? `/availability/stream?since=${Math.min.apply(null, times)}` : "/availability/stream";
  }

  var source;
  function connect() {
    if (source || !window.EventSource || controlPending()) return;
    source = new EventSource(streamUrl());
    // Marked once subscribed, so a test (or a style) knows updates will arrive from now on.
    source.addEventListener("ready", () => {
      document.documentElement.setAttribute("data-availability-live", "ready");
    });
    source.addEventListener("availability", (e) => {
      try {
        apply(JSON.parse(e.data));
      } catch {}
    });
    // Sent first when statuses changed since the render (or after the server's listener reconnected).
    source.addEventListener("statuses", (e) => {
      try {
        JSON.parse(e.data).forEach(apply);
      } catch {}
    });
  }
  document.addEventListener("DOMContentLoaded", connect);
  document.addEventListener("htmx:afterSettle", connect);
  document.addEventListener("htmx:afterRequest", (e) => {
    if (e.detail.elt?.id === "availability-control" && e.detail.failed) {
      controlFailed = true;
      connect();
    }
  });
})();
