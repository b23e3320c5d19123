// Supervisor monitor: the waiting times tick every second from their server-computed start (data-since),
// and the board is fetched again (server-rendered, escaped) when the organization's events say something
// changed: a message, an assignment, a resolution, an alert. Actions answer with HX-Trigger "monitor-changed".
(() => {
  function pad(n) {
    return String(n).padStart(2, "0");
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".monitor-wait[data-since]").forEach((el) => {
      var seconds = Math.max(0, Math.floor((now - Date.parse(el.getAttribute("data-since"))) / 1000));
      var minutes = Math.floor(seconds / 60);
      el.textContent = minutes >= 60 ? `${Math.floor(minutes / 60)}h ${pad(minutes % 60)}m` : `${minutes}m ${pad(seconds % 60)}s`;
      el.classList.toggle("monitor-wait-long", minutes >= 15);
    });
  }

  var pending = null;
  function refresh(root) {
    if (pending) return;
    // Several events in a burst (a message and its receipts) make one request.
    pending = setTimeout(() => {
      pending = null;
      fetch(root.getAttribute("data-board"), { headers: { "HX-Request": "true" }, credentials: "same-origin" })
        .then((r) => (r.ok ? r.text() : null))
        .then((html) => {
          if (!html) return;
          var board = document.getElementById("monitor-board");
          if (!board) return;
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var next = holder.firstElementChild;
          if (next) {
            board.replaceWith(next);
            if (window.htmx) window.htmx.process(next);
            tick();
          }
        });
    }, 300);
  }

  document.addEventListener("DOMContentLoaded", () => {
    var root = document.getElementById("monitor-live");
    if (!root) return;
    tick();
    setInterval(tick, 1000);
    document.body.addEventListener("monitor-changed", () => refresh(root));
    if (!window.EventSource) return;
    var source = new EventSource(root.getAttribute("data-stream"));
    source.addEventListener("ready", () => root.setAttribute("data-live", "true"));
    source.addEventListener("changed", () => refresh(root));
    window.addEventListener("pagehide", () => source.close());
  });
})();
