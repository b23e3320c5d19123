// Live progress of a campaign: an EventSource on the campaign's stream swaps in the server-rendered progress card
// (status, actions, targets per state) at every target change, until the campaign is completed or cancelled.
(() => {
  var root = document.querySelector("[data-campaign-stream]");
  if (!root || !window.EventSource) return;
  var finished = (s) => s === "completed" || s === "cancelled";
  var source = new EventSource(root.getAttribute("data-campaign-stream"));
  source.addEventListener("ready", () => root.setAttribute("data-connected", "1"));
  source.addEventListener("progress", (e) => {
    var current = document.getElementById("campaign-progress");
    if (current) current.outerHTML = e.data;
    var next = document.getElementById("campaign-progress");
    if (next && window.htmx) window.htmx.process(next);
    if (next && finished(next.getAttribute("data-status"))) source.close();
  });
})();
