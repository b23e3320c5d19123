// Live inbox: one EventSource on /inbox/stream (Server-Sent Events). The server pushes rendered
// message bubbles ("msg", upserted by id so receipts, reactions, edits and deletes redraw in place) and bare conversation
// changes ("conversation"); the conversation list and header are re-fetched through htmx.
(() => {
  var root = document.getElementById("inbox");
  if (!root || !window.EventSource) return;
  var source = new EventSource(root.getAttribute("data-stream"));
  var listTimer = null;

  // A refresh asked for while the element's own request is in flight would be lost (htmx drops a trigger
  // during a request, and the outerHTML swap replaces the element anyway): it runs once that request has
  // settled, so the latest change always shows — a resolution restored just after a message reopened the
  // conversation, say.
  var again = {};
  function refresh(id) {
    var el = document.getElementById(id);
    if (!el || !window.htmx) return;
    if (el.classList.contains("htmx-request")) {
      again[id] = true;
      return;
    }
    window.htmx.trigger(el, "inbox:refresh");
  }
  function refreshDeferred() {
    Object.keys(again).forEach((id) => {
      delete again[id];
      refresh(id);
    });
  }
  ["htmx:afterSettle", "htmx:responseError", "htmx:sendError"].forEach((name) => {
    document.body.addEventListener(name, refreshDeferred);
  });
  // Bursts (a message and its receipts) collapse into one list refresh.
  function refreshListSoon() {
    clearTimeout(listTimer);
    listTimer = setTimeout(() => {
      refresh("conversation-list");
    }, 250);
  }
  function openConversationId() {
    var list = document.getElementById("messages");
    return list ? list.getAttribute("data-conversation-id") : null;
  }

  // One bubble into the open list: replaced in place by id, else appended when `append` (the frame's own
  // message; further bubbles of a frame are other messages it changed, redrawn only when shown).
  function upsert(bubble, list, append) {
    var existing = document.getElementById(bubble.id);
    // A reaction whose target is on the page shows on the target (its own frame redraws it), not as a bubble.
    var reactsTo = bubble.getAttribute("data-reacts-to");
    if (!existing && reactsTo && list.querySelector(`[data-provider-id="${CSS.escape(reactsTo)}"]`)) return;
    if (!existing && !append) return;
    var nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    if (existing) existing.replaceWith(bubble);
    else {
      var empty = list.querySelector(".empty");
      if (empty) empty.remove();
      list.appendChild(bubble);
      refresh("conv-header");
    }
    if (window.htmx) window.htmx.process(bubble);
    if (nearBottom || !existing) list.scrollTop = list.scrollHeight;
  }

  source.addEventListener("msg", (e) => {
    var tpl = document.createElement("template");
    tpl.innerHTML = e.data.trim();
    var list = document.getElementById("messages");
    var bubbles = Array.from(tpl.content.children);
    if (list && bubbles.length && bubbles[0].getAttribute("data-conversation-id") === openConversationId()) {
      bubbles.forEach((bubble, i) => {
        upsert(bubble, list, i === 0);
      });
    }
    refreshListSoon();
  });

  source.addEventListener("conversation", (e) => {
    try {
      var data = JSON.parse(e.data);
      if (data.conversationId === openConversationId()) {
        refresh("conv-header");
        // Labels and the contact's side panel change with the conversation (label added, resolved…).
        refresh("contact-panel");
      }
    } catch (_) {}
    refreshListSoon();
  });

  // A new activity line: into the open conversation's timeline (once), and the header and list follow the change.
  source.addEventListener("activity", (e) => {
    try {
      var data = JSON.parse(e.data);
      var list = document.getElementById("messages");
      if (list && data.conversationId === openConversationId()) {
        var tpl = document.createElement("template");
        tpl.innerHTML = data.html.trim();
        var line = tpl.content.firstElementChild;
        if (line && !document.getElementById(line.id)) {
          var empty = list.querySelector(".empty");
          if (empty) empty.remove();
          list.appendChild(line);
          list.scrollTop = list.scrollHeight;
        }
        refresh("conv-header");
        refresh("contact-panel");
      }
    } catch (_) {}
    refreshListSoon();
  });

  // The stream has no backlog: the page catches up after a reconnect, and when the server says updates
  // may have been missed ("catchup"): made between this page's render and the stream's subscription
  // (sent before "ready"), or while the server's own database listener was reconnecting (any time).
  var live = false; // this connection's "ready" came
  var behind = false;
  function catchUp() {
    refreshListSoon();
    refresh("messages");
    refresh("conv-header");
  }
  source.addEventListener("catchup", () => {
    if (live) catchUp();
    else behind = true;
  });
  source.addEventListener("ready", () => {
    if (behind || root.getAttribute("data-connected") === "1") catchUp();
    behind = false;
    live = true;
    root.setAttribute("data-connected", "1");
  });
  source.addEventListener("error", () => {
    live = false;
  });

  // Start at the newest message; keep there after the list is reloaded (e.g. after sending).
  function scrollDown() {
    var list = document.getElementById("messages");
    if (list) list.scrollTop = list.scrollHeight;
  }
  scrollDown();
  document.body.addEventListener("htmx:afterSwap", (e) => {
    var el = e.detail?.elt || e.target;
    if (el && el.id === "messages") scrollDown();
  });
  window.addEventListener("pagehide", () => {
    source.close();
  });

  // Reply box: Enter sends, Shift+Enter adds a line (IME composition and modifier keys type as usual).
  // The canned replies' suggestions take Enter first while they are open (capture phase, static/canned-replies.js).
  document.addEventListener("keydown", (e) => {
    var area = e.target;
    if (!(area instanceof HTMLTextAreaElement) || area.id !== "reply-body") return;
    if (e.key !== "Enter" || e.shiftKey || e.isComposing || e.altKey || e.ctrlKey || e.metaKey) return;
    e.preventDefault();
    var form = area.form;
    var send = form ? form.querySelector('button[name="kind"][value="reply"]') : null;
    var file = form ? form.querySelector('input[type="file"]') : null;
    if (!form || !send || send.disabled) return;
    if (!area.value.trim() && !file?.files?.length) return;
    form.requestSubmit(send);
  });
})();
