// Live progress of a campaign: an EventSource on the campaign's stream swaps in the server-rendered progress card
// (status, actions, targets per state) at every target change. It stays open after the campaign completes:
// receipts (delivered, read) and replies keep moving its targets.
(() => {
  var root = document.querySelector("[data-campaign-stream]");
  if (!root || !window.EventSource) return;
  var source = new EventSource(root.getAttribute("data-campaign-stream"));
  // Frames drawn so far: a catch-up read answered after a frame arrived is older than what it would replace.
  var frames = 0;
  function show(html) {
    var current = document.getElementById("campaign-progress");
    if (current) current.outerHTML = html;
    var next = document.getElementById("campaign-progress");
    if (next && window.htmx) window.htmx.process(next);
  }
  // Subscribed: catch up once, since a change made between the page's render and now sent no frame to us.
  source.addEventListener("ready", () => {
    root.setAttribute("data-connected", "1");
    var url = root.getAttribute("data-campaign-stream").replace(/\/stream$/, "/progress");
    var seen = frames;
    // A signed-out session is redirected to the sign-in page, which is no progress card.
    fetch(url)
      .then((res) => (res.ok && !res.redirected ? res.text() : null))
      .then((html) => {
        if (html !== null && frames === seen) show(html);
      });
  });
  source.addEventListener("progress", (e) => {
    frames += 1;
    show(e.data);
  });
})();
