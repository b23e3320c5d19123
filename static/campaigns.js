// Live progress of a campaign: an EventSource on the campaign's stream swaps in the server-rendered progress card
// (status, actions, targets per state) at every target change. It stays open after the campaign completes:
// receipts (delivered, read) and replies keep moving its targets.
(() => {
  var root = document.querySelector("[data-campaign-stream]");
  if (!root || !window.EventSource) return;
  var source = new EventSource(root.getAttribute("data-campaign-stream"));
  // The stream's first frame is the card as it is once subscribed, then one after every change.
  source.addEventListener("ready", () => {
    root.setAttribute("data-connected", "1");
  });
  source.addEventListener("progress", (e) => {
    var current = document.getElementById("campaign-progress");
    if (current) current.outerHTML = e.data;
    var next = document.getElementById("campaign-progress");
    if (next && window.htmx) window.htmx.process(next);
  });
})();
