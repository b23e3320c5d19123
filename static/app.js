// Confirmations and double-submit protection work on every form, with or without htmx. The submit
// listener runs in the capture phase so it comes before htmx's own handler on the form.
(() => {
  var HTMX_FORM = "[hx-post],[hx-put],[hx-patch],[hx-delete],[data-hx-post]";
  var SUBMITS = "button:not([type=button]), input[type=submit]";

  function hold(form) {
    form.setAttribute("data-in-flight", "");
    form.querySelectorAll(SUBMITS).forEach((b) => {
      if (b.disabled) return;
      b.disabled = true;
      b.setAttribute("data-was-enabled", "");
    });
    // Released if nothing answers (a download, a dropped connection): the page must never stay stuck.
    setTimeout(() => {
      release(form);
    }, 15000);
  }

  function release(form) {
    form.removeAttribute("data-in-flight");
    form.querySelectorAll("[data-was-enabled]").forEach((b) => {
      b.disabled = false;
      b.removeAttribute("data-was-enabled");
    });
  }

  document.addEventListener(
    "submit",
    (e) => {
      var form = e.target;
      // <form data-confirm="…"> or <button data-confirm="…">: the CSP forbids inline onsubmit/onclick.
      var question = e.submitter?.getAttribute("data-confirm") || form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) {
        e.preventDefault();
        e.stopImmediatePropagation();
        return;
      }
      // A form already on its way is not sent again (double click, Enter pressed twice).
      if (form.hasAttribute("data-in-flight")) {
        e.preventDefault();
        e.stopImmediatePropagation();
        return;
      }
      // htmx forms are held when their request really leaves (htmx:beforeRequest): an hx-confirm
      // answered "Cancel" sends nothing and must leave the buttons alone.
      if (form.matches(HTMX_FORM) || (form.getAttribute("method") || "get").toLowerCase() !== "post") return;
      // Disabled only after the browser has read the fields: a disabled submitter would drop its name=value.
      form.setAttribute("data-in-flight", "");
      setTimeout(() => {
        hold(form);
      }, 0);
    },
    true,
  );

  document.addEventListener("htmx:beforeRequest", (e) => {
    var form = e.detail.elt?.closest?.("form");
    if (!form?.matches(HTMX_FORM)) return;
    // htmx queues a second submit behind the first and sends it afterwards: refuse it instead.
    if (form.hasAttribute("data-in-flight")) return e.preventDefault();
    hold(form);
  });
  // htmx forms stay on the page: release them when their answer is in, unless it sends the browser
  // elsewhere (HX-Redirect), where a second click would post again during the navigation.
  document.addEventListener("htmx:afterRequest", (e) => {
    var form = e.detail.elt?.closest?.("form");
    if (!form?.hasAttribute("data-in-flight")) return;
    var xhr = e.detail.xhr;
    if (e.detail.successful && xhr?.getResponseHeader("HX-Redirect")) return;
    release(form);
  });
  // Back/forward cache restores the page as it was left: with its buttons disabled.
  window.addEventListener("pageshow", () => {
    document.querySelectorAll("form[data-in-flight]").forEach(release);
  });
})();

// htmx 2 does not swap 4xx responses by default; forms re-render with field errors on 422.
document.addEventListener("DOMContentLoaded", () => {
  if (!window.htmx) return;
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "422", swap: true },
    { code: "[45]..", swap: false, error: true },
  ];
  document.body.addEventListener("htmx:responseError", (e) => {
    var flash = document.getElementById("flash");
    if (!flash) return;
    // The page says it in the reader's language (<body data-request-failed="… {status} …">).
    var template = document.body.getAttribute("data-request-failed") || "Request failed ({status})";
    var message = template.replace("{status}", String(e.detail.xhr.status));
    try {
      var body = JSON.parse(e.detail.xhr.responseText);
      if (body?.error?.message) message = body.error.message;
    } catch (_) {
      var text = (e.detail.xhr.responseText || "").replace(/<[^>]*>/g, " ").trim();
      if (text && text.length < 200) message = text;
    }
    flash.className = "flash flash-error";
    flash.textContent = message;
  });
  // Copy buttons: <button data-copy="#selector" data-copied="(the page's word for Copied)">
  document.body.addEventListener("click", (e) => {
    var btn = e.target.closest?.("[data-copy]");
    if (!btn) return;
    var el = document.querySelector(btn.getAttribute("data-copy"));
    if (el && navigator.clipboard) navigator.clipboard.writeText(el.textContent.trim());
    btn.textContent = btn.getAttribute("data-copied") || "Copied";
  });
});
