// The AI draft panel (views/suggestions/_draft.tsx) follows the open conversation's live changes: when
// static/inbox.js refreshes the conversation header (a "conversation" frame, or a new bubble), the panel
// reloads too — unless the agent is editing the draft (the edit form carries no data-live).
(() => {
  document.body.addEventListener("inbox:refresh", (e) => {
    if (e.target?.id !== "conv-header") return;
    var panel = document.getElementById("suggestion-panel");
    if (panel && panel.getAttribute("data-live") === "1" && window.htmx) window.htmx.trigger(panel, "suggestion:refresh");
  });
})();
