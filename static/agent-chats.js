// Direct chats with AI agents: one EventSource on /agent-chats/stream (the member's own topic). The agent's
// answer streams in ("delta": its text so far) into the open chat's pending bubble; when it is stored
// ("done") the open chat's lines and the chat list are re-fetched through htmx, and the nav badge too.
(() => {
  var root = document.getElementById("agent-chats");
  if (!root || !window.EventSource) return;
  var source = new EventSource(root.getAttribute("data-stream"));

  function openLog() {
    return document.getElementById("agent-chat-log");
  }
  function refreshBody(chatId) {
    if (window.htmx) window.htmx.ajax("GET", `/agent-chats/${chatId}/body`, { target: "#agent-chat-body", swap: "outerHTML" });
  }
  function refreshList() {
    var list = document.getElementById("agent-chat-list");
    if (list && window.htmx) window.htmx.trigger(list, "agent-chats:refresh");
    var badge = document.querySelector(".nav-badge");
    if (badge && window.htmx) window.htmx.ajax("GET", "/agent-chats/unread", { target: badge, swap: "innerHTML" });
  }
  function scrollDown(log) {
    log.scrollTop = log.scrollHeight;
  }

  source.addEventListener("delta", (e) => {
    var data = JSON.parse(e.data);
    var log = openLog();
    // Only while the shown log waits for an answer: a frame that arrives after the answer was drawn is stale.
    if (!log || log.getAttribute("data-chat-id") !== data.chatId || log.getAttribute("data-answering") !== "true") return;
    var pending = document.getElementById("agent-chat-pending");
    if (!pending) {
      pending = document.createElement("div");
      pending.id = "agent-chat-pending";
      pending.className = "bubble bubble-assistant streaming";
      log.appendChild(pending);
    }
    pending.textContent = data.text;
    scrollDown(log);
  });
  source.addEventListener("done", (e) => {
    var data = JSON.parse(e.data);
    var log = openLog();
    if (log && log.getAttribute("data-chat-id") === data.chatId) {
      log.setAttribute("data-answering", "false");
      refreshBody(data.chatId);
    }
    refreshList();
  });
  source.addEventListener("error", () => {
    // EventSource reconnects by itself; until it does, say that answers will need a reload.
    root.setAttribute("data-live", "off");
  });
  source.addEventListener("ready", () => {
    root.setAttribute("data-live", "on");
    // An answer may have been stored before the stream (re)connected: catch up once subscribed.
    var log = openLog();
    if (log && log.getAttribute("data-answering") === "true") refreshBody(log.getAttribute("data-chat-id"));
  });
  // A sent message re-renders the log: keep it scrolled to the latest line.
  document.body.addEventListener("htmx:afterSwap", () => {
    var log = openLog();
    if (log) scrollDown(log);
  });
  var first = openLog();
  if (first) scrollDown(first);
})();
