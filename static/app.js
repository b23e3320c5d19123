// htmx 2 does not swap 4xx responses by default; forms re-render with field errors on 422.
document.addEventListener("DOMContentLoaded", function () {
  if (!window.htmx) return;
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "422", swap: true },
    { code: "[45]..", swap: false, error: true },
  ];
  document.body.addEventListener("htmx:responseError", function (e) {
    var flash = document.getElementById("flash");
    if (!flash) return;
    var message = "Request failed (" + e.detail.xhr.status + ")";
    try {
      var body = JSON.parse(e.detail.xhr.responseText);
      if (body && body.error && body.error.message) message = body.error.message;
    } catch (_) {
      var text = (e.detail.xhr.responseText || "").replace(/<[^>]*>/g, " ").trim();
      if (text && text.length < 200) message = text;
    }
    flash.className = "flash flash-error";
    flash.textContent = message;
  });
  // Copy buttons: <button data-copy="#selector">
  document.body.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest("[data-copy]");
    if (!btn) return;
    var el = document.querySelector(btn.getAttribute("data-copy"));
    if (el && navigator.clipboard) navigator.clipboard.writeText(el.textContent.trim());
    btn.textContent = "Copied";
  });
});
