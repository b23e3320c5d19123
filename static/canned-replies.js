// Canned replies in the inbox reply box: typing "/" + a shortcut lists matching replies (the server
// searches shortcut and title, for the conversation's department); Arrow keys move, Enter or Tab or a
// click inserts the reply's text, filled by the server for this contact and agent, in place of "/shortcut".
// Listeners are delegated on the document so the reply form can be swapped by htmx without rebinding.
(() => {
  if (window.__cannedReplies) return;
  window.__cannedReplies = true;
  var timer = null;
  var seq = 0;

  function box() {
    return document.getElementById("canned-suggestions");
  }
  function open() {
    var b = box();
    return b && !b.hidden ? b : null;
  }
  function hide() {
    var b = box();
    if (b) {
      b.hidden = true;
      b.innerHTML = "";
    }
  }
  // The "/word" just before the caret, if the caret is at the end of one.
  function tokenAt(area) {
    var before = area.value.slice(0, area.selectionStart);
    // Any letters, accents included: the search also matches titles ("/horário").
    var m = /(^|\s)\/([^\s/]*)$/.exec(before);
    return m ? { start: before.length - m[2].length - 1, q: m[2] } : null;
  }

  function suggest(area) {
    var token = tokenAt(area);
    if (!token) return hide();
    var mine = ++seq;
    fetch(`${area.getAttribute("data-canned-suggest")}?q=${encodeURIComponent(token.q)}`, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then((r) => (r.ok ? r.text() : ""))
      .then((html) => {
        var b = box();
        if (!b || mine !== seq) return;
        b.innerHTML = html;
        b.hidden = !html;
      })
      .catch(hide);
  }

  function pick(button) {
    var area = document.querySelector("textarea[data-canned-suggest]");
    if (!area) return;
    fetch(button.getAttribute("data-canned-url"), { headers: { accept: "application/json" }, credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : null))
      .then((reply) => {
        if (!reply) return;
        var token = tokenAt(area);
        var start = token ? token.start : area.selectionStart;
        var end = area.selectionStart;
        area.value = area.value.slice(0, start) + reply.text + area.value.slice(end);
        var caret = start + reply.text.length;
        area.setSelectionRange(caret, caret);
        area.focus();
        area.dispatchEvent(new Event("input", { bubbles: true }));
        hide();
        if (reply.media) attach(reply.media);
      });
  }

  // The reply's media goes into the reply box's file input, as if the agent had chosen the file.
  function attach(media) {
    var input = document.getElementById("reply-attachment");
    if (!input || !window.DataTransfer) return;
    fetch(media.path, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.blob() : null))
      .then((blob) => {
        if (!blob) return;
        var files = new DataTransfer();
        files.items.add(new File([blob], media.fileName, { type: media.mimeType }));
        input.files = files.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      });
  }

  function move(b, step) {
    var buttons = Array.from(b.querySelectorAll("[data-canned-url]"));
    if (!buttons.length) return;
    var i = buttons.findIndex((el) => el.classList.contains("selected"));
    buttons.forEach((el) => {
      el.classList.remove("selected");
    });
    var next = buttons[(i + step + buttons.length) % buttons.length];
    next.classList.add("selected");
    next.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("input", (e) => {
    var area = e.target;
    if (!(area instanceof HTMLTextAreaElement) || !area.hasAttribute("data-canned-suggest")) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      suggest(area);
    }, 120);
  });

  // Capture phase: while suggestions are open, Enter picks one instead of sending the reply.
  document.addEventListener(
    "keydown",
    (e) => {
      var area = e.target;
      var b = open();
      if (!b || !(area instanceof HTMLTextAreaElement) || !area.hasAttribute("data-canned-suggest")) return;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        move(b, e.key === "ArrowDown" ? 1 : -1);
      } else if (e.key === "Enter" || e.key === "Tab") {
        var selected = b.querySelector("[data-canned-url].selected");
        if (!selected) return;
        e.preventDefault();
        e.stopImmediatePropagation();
        pick(selected);
      } else if (e.key === "Escape") {
        e.preventDefault();
        hide();
      }
    },
    true,
  );

  document.addEventListener("click", (e) => {
    var button = e.target instanceof Element ? e.target.closest("[data-canned-url]") : null;
    if (button) {
      e.preventDefault();
      pick(button);
    }
  });
})();
