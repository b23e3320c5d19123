// Live progress of a contact CSV import: an EventSource on the import's stream swaps in the server-rendered progress card.
(() => {
  var root = document.querySelector("[data-import-stream]");
  if (!root || !window.EventSource) return;
  var card = document.getElementById("import-progress");
  var status = card?.getAttribute("data-status");
  if (status === "done" || status === "failed") return;
  var source = new EventSource(root.getAttribute("data-import-stream"));
  source.addEventListener("progress", (e) => {
    var current = document.getElementById("import-progress");
    if (current) current.outerHTML = e.data;
    var next = document.getElementById("import-progress");
    var s = next?.getAttribute("data-status");
    if (s === "done" || s === "failed") source.close();
  });
})();
