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
  // Its own element as the request's source: htmx.ajax otherwise queues on document.body, where a later
  // call (the nav badge) replaces a queued refresh, and a refresh queued behind another is dropped once
  // that one's swap has replaced its element.
  function refreshBody(chatId) {
    var body = document.getElementById("agent-chat-body");
    if (body && window.htmx) window.htmx.ajax("GET", `/agent-chats/${chatId}/body`, { source: body, target: body, swap: "outerHTML" });
  }
  // When each chat's latest answer was stored ("done"), and when each request left: a log rendered for a
  // request sent before that is stale however late it arrives (the catch-up on "ready", a message sent
  // while the agent answered), so it is fetched again.
  var answeredAt = {};
  document.body.addEventListener("htmx:beforeSend", (e) => {
    if (e.detail.xhr) e.detail.xhr.livchatSentAt = performance.now();
  });
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
    answeredAt[data.chatId] = performance.now();
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
  // A sent message re-renders the log: keep it scrolled to the latest line, and fetch it again when it
  // was rendered before the answer it waits for was stored.
  document.body.addEventListener("htmx:afterSwap", (e) => {
    var log = openLog();
    if (!log) return;
    scrollDown(log);
    var chatId = log.getAttribute("data-chat-id");
    var sentAt = e.detail.xhr ? e.detail.xhr.livchatSentAt : undefined;
    if (log.getAttribute("data-answering") === "true" && answeredAt[chatId] !== undefined && sentAt !== undefined && sentAt <= answeredAt[chatId]) {
      refreshBody(chatId);
    }
  });
  var first = openLog();
  if (first) scrollDown(first);
})();
