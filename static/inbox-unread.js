// The inbox's unread count in the navigation and the tab title, on every admin page. The badge fragment
// (/inbox/unread, reloaded by the navigation) carries the count; /inbox/unread/stream (Server-Sent
// Events) pushes a new count whenever the organization's inbox changes.
(() => {
  function shown(n) {
    return n >= 100 ? "99+" : String(n);
  }
  function apply(n) {
    if (!Number.isFinite(n)) return;
    var el = document.getElementById("inbox-unread");
    if (el) {
      el.textContent = shown(n);
      el.hidden = n === 0;
      el.setAttribute("data-count", String(n));
    }
    var base = document.title.replace(/^\(\d+\+?\) /, "");
    document.title = n > 0 ? `(${shown(n)}) ${base}` : base;
  }
  var badge = document.getElementById("inbox-unread");
  if (badge) apply(Number(badge.getAttribute("data-count")));
  // The fragment (and this script with it) is reloaded now and then: one stream per page.
  if (window.__inboxUnreadStream || !window.EventSource || !badge) return;
  var source = new EventSource(badge.getAttribute("data-stream"));
  window.__inboxUnreadStream = source;
  source.addEventListener("unread", (e) => {
    apply(Number(e.data));
  });
  window.addEventListener("pagehide", () => {
    source.close();
  });
})();
