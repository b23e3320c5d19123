// Live tail of the event log: an EventSource on /events/stream prepends server-rendered rows.
// The stream already applies the page's filters and escapes every value, so rows are inserted as-is.
(() => {
  var MAX_ROWS = 500;
  var source = null;

  // The words come from the page, in the reader's language (data-connecting, data-live, …).
  function status(state, tone) {
    var el = document.getElementById("live-status");
    if (!el) return;
    el.textContent = el.getAttribute(`data-${state}`) || state;
    el.className = `badge badge-${tone}`;
  }

  function start(url) {
    stop();
    source = new EventSource(url);
    status("connecting", "muted");
    source.addEventListener("ready", () => {
      status("live", "ok");
    });
    // A frame holds one row, or (catching up on what was recorded since the page's render) several,
    // oldest first: each goes on top, unless the table already shows it.
    source.addEventListener("event", (e) => {
      var rows = document.getElementById("event-rows");
      if (!rows) return;
      var holder = document.createElement("tbody");
      holder.innerHTML = e.data;
      Array.from(holder.children).forEach((row) => {
        if (row.id && document.getElementById(row.id)) return;
        row.classList.add("event-new");
        rows.insertBefore(row, rows.firstChild);
        var empty = document.getElementById("events-empty");
        if (empty?.parentElement) empty.parentElement.remove();
      });
      while (rows.children.length > MAX_ROWS) rows.removeChild(rows.lastElementChild);
    });
    source.onerror = () => {
      // EventSource reconnects by itself; say so instead of failing silently.
      status("reconnecting", "warn");
    };
  }

  function stop() {
    if (source) source.close();
    source = null;
  }

  document.addEventListener("DOMContentLoaded", () => {
    var toggle = document.getElementById("live-tail");
    if (!toggle || toggle.disabled) return;
    var url = toggle.getAttribute("data-stream");
    if (toggle.checked) start(url);
    toggle.addEventListener("change", () => {
      if (toggle.checked) start(url);
      else {
        stop();
        status("paused", "muted");
      }
    });
    window.addEventListener("pagehide", stop);
  });
})();
