// Live progress of a campaign: an EventSource on the campaign's stream swaps in the server-rendered progress card
// (status, actions, targets per state) at every target change. It stays open after the campaign completes:
// receipts (delivered, read) and replies keep moving its targets.
(() => {
  var root = document.querySelector("[data-campaign-stream]");
  if (!root || !window.EventSource) return;
  var source = new EventSource(root.getAttribute("data-campaign-stream"));
  // Subscribed: catch up once, since a change made between the page's render and now sent no frame to us.
  source.addEventListener("ready", () => {
    root.setAttribute("data-connected", "1");
    var current = document.getElementById("campaign-progress");
    var url = root.getAttribute("data-campaign-stream").replace(/\/stream$/, "/progress");
    if (current && window.htmx) window.htmx.ajax("GET", url, { target: "#campaign-progress", swap: "outerHTML" });
  });
  source.addEventListener("progress", (e) => {
    var current = document.getElementById("campaign-progress");
    if (current) current.outerHTML = e.data;
    var next = document.getElementById("campaign-progress");
    if (next && window.htmx) window.htmx.process(next);
  });
})();
