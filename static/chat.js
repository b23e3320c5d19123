// Workflow test chat: POSTs the message and renders the SSE reply stream token by token.
(() => {
  var form = document.getElementById("chat-form");
  if (!form) return;
  var log = document.getElementById("chat-log");
  var threadId = null;
  var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");

  function bubble(role, text) {
    var div = document.createElement("div");
    div.className = `bubble bubble-${role}`;
    div.textContent = text;
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    var input = form.querySelector("input[name=text]");
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    bubble("user", text);
    var reply = bubble("assistant", "");
    reply.classList.add("streaming");
    var button = form.querySelector("button");
    button.disabled = true;
    try {
      var res = await fetch(form.getAttribute("data-chat-url"), {
        method: "POST",
        headers: Object.assign({ "content-type": "application/json", accept: "text/event-stream" }, headers),
        body: JSON.stringify({ text: text, threadId: threadId }),
      });
      // The page renders this text in the reader's language.
      if (!res.ok || !res.body) throw new Error(form.getAttribute("data-error-text").replace("{status}", res.status));
      var reader = res.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      while (true) {
        var chunk = await reader.read();
        if (chunk.done) break;
        buffer += decoder.decode(chunk.value, { stream: true });
        var frames = buffer.split("\n\n");
        buffer = frames.pop();
        frames.forEach((frame) => {
          var event = (frame.match(/^event: (.*)$/m) || [])[1];
          var dataLine = (frame.match(/^data: (.*)$/m) || [])[1];
          if (!event || !dataLine) return;
          var data = JSON.parse(dataLine);
          if (event === "thread") threadId = data.id;
          if (event === "token") reply.textContent += data.content;
          if (event === "done") {
            reply.textContent = data.message.content;
            // The tools the model called this turn, above its answer (labels come localized from the server).
            (data.tools || []).forEach((call) => {
              var line = document.createElement("div");
              line.className = call.failed ? "bubble bubble-tool bubble-error" : "bubble bubble-tool";
              line.textContent = call.text;
              log.insertBefore(line, reply);
            });
          }
          if (event === "error") {
            reply.textContent = data.message;
            reply.classList.add("bubble-error");
          }
        });
      }
    } catch (err) {
      reply.textContent = String(err.message || err);
      reply.classList.add("bubble-error");
    } finally {
      reply.classList.remove("streaming");
      reply.setAttribute("data-done", "true");
      button.disabled = false;
      input.focus();
    }
  });
})();
