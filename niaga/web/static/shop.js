// Shop settings: the automatic messages' preview follows what the owner types (nothing saved).
(function () {
  "use strict";
  const form = document.querySelector("form[data-preview]");
  if (!form) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  let timer = null;
  let asked = 0;
  function refresh() {
    const ticket = ++asked;
    const body = {
      greeting_text: form.elements.greeting_text.value,
      away_text: form.elements.away_text.value,
      ack_text: form.elements.ack_text.value,
    };
    fetch(form.dataset.preview, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
      body: JSON.stringify(body),
    })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (texts) {
        if (!texts || ticket !== asked) return; // an older answer arriving late
        Object.keys(texts).forEach(function (kind) {
          const target = document.getElementById("preview-" + kind);
          if (target) target.textContent = texts[kind];
        });
      })
      .catch(function () { /* the preview waits for the next keystroke */ });
  }
  form.addEventListener("input", function (event) {
    if (!event.target.dataset.previewField) return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  });
})();
