// The template editor: presets, live checks against WhatsApp's rules with the guide's advice,
// a preview with the samples filled, drafts and submission. No inline script (CSP).
(function () {
  "use strict";
  const form = document.getElementById("tpl-editor");
  if (!form) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const data = JSON.parse(document.getElementById("tpl-data").textContent);
  const texts = JSON.parse(document.getElementById("tpl-texts").textContent);
  const buttonsBox = document.getElementById("tpl-buttons");
  const samplesBox = document.getElementById("tpl-samples");
  const rowTemplate = document.getElementById("tpl-button-row");
  const state = document.getElementById("tpl-state");
  const PARAM = /\{\{\s*([^{}]*?)\s*\}\}/g;
  let draftId = null;
  let heldId = null; // a template WhatsApp holds, being changed
  let headerSample = null;
  let samples = {};
  let timer = null;
  let checks = 0; // only the newest check's answer is shown

  const field = (name) => form.elements.namedItem(name);

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  function parameters() {
    const found = [];
    for (const name of ["header_text", "body"]) {
      if (name === "header_text" && field("header").value !== "text") continue;
      for (const m of field(name).value.matchAll(PARAM)) {
        if (!found.includes(m[1])) found.push(m[1]);
      }
    }
    return found;
  }

  function addButton(button) {
    const row = rowTemplate.content.firstElementChild.cloneNode(true);
    row.dataset.kind = button.kind;
    row.querySelector("[data-kind-label]").textContent = texts[button.kind];
    for (const input of row.querySelectorAll("[data-part]")) {
      const part = input.dataset.part;
      const used = { quick_reply: ["text"], url: ["text", "url", "sample"], phone: ["text", "phone"], copy_code: ["sample"] }[button.kind];
      input.hidden = !used.includes(part);
      input.value = button[part] || "";
    }
    buttonsBox.appendChild(row);
  }

  function buttons() {
    return [...buttonsBox.querySelectorAll(".tpl-button")].map((row) => {
      const out = { kind: row.dataset.kind };
      for (const input of row.querySelectorAll("[data-part]")) {
        if (!input.hidden) out[input.dataset.part] = input.value;
      }
      if (out.kind === "url" && !out.sample) delete out.sample;
      return out;
    });
  }

  function renderSamples() {
    for (const input of samplesBox.querySelectorAll("input")) samples[input.name] = input.value;
    samplesBox.textContent = "";
    for (const name of parameters()) {
      const label = document.createElement("label");
      label.textContent = `{{${name}}}`;
      const input = document.createElement("input");
      input.name = name;
      input.dataset.field = `samples.${name}`;
      input.value = samples[name] || "";
      label.appendChild(input);
      samplesBox.appendChild(label);
    }
  }

  function definition() {
    const current = {};
    for (const input of samplesBox.querySelectorAll("input")) current[input.name] = input.value;
    const d = {
      name: field("name").value.trim(),
      language: field("language").value,
      category: field("category").value,
      parameter_format: field("parameter_format").value,
      header: field("header").value,
      header_text: field("header").value === "text" ? field("header_text").value : null,
      header_sample: ["image", "video", "document"].includes(field("header").value) ? headerSample : null,
      body: field("body").value,
      footer: field("footer").value || null,
      buttons: buttons(),
      samples: current,
    };
    return d;
  }

  function fill(d) {
    for (const name of ["name", "language", "category", "parameter_format", "header", "body"]) {
      field(name).value = d[name] || field(name).value;
    }
    field("header_text").value = d.header_text || "";
    headerSample = d.header_sample || null;
    document.getElementById("tpl-header-file-state").textContent = headerSample || "";
    field("footer").value = d.footer || "";
    buttonsBox.textContent = "";
    (d.buttons || []).forEach(addButton);
    samples = { ...(d.samples || {}) };
    samplesBox.textContent = "";
    changed();
  }

  function preview(d) {
    const box = document.getElementById("tpl-preview");
    const filled = (text) => (text || "").replace(PARAM, (all, name) => d.samples[name] || all);
    box.textContent = "";
    if (d.header === "image" && d.header_sample) {
      const img = document.createElement("img");
      img.className = "hdr-media";
      img.alt = "";
      img.src = data.sample_base + d.header_sample;
      box.appendChild(img);
    } else if (["video", "document"].includes(d.header) && d.header_sample) {
      const f = document.createElement("p");
      f.className = "hdr";
      f.textContent = `📎 ${d.header_sample}`;
      box.appendChild(f);
    }
    if (d.header === "text" && d.header_text) {
      const h = document.createElement("p");
      h.className = "hdr";
      h.textContent = filled(d.header_text);
      box.appendChild(h);
    }
    const body = document.createElement("p");
    body.className = "text";
    body.textContent = filled(d.body);
    box.appendChild(body);
    if (d.footer) {
      const f = document.createElement("p");
      f.className = "footer";
      f.textContent = d.footer;
      box.appendChild(f);
    }
    for (const b of d.buttons) {
      const span = document.createElement("span");
      span.className = "btn-preview";
      span.textContent = b.text || b.sample || texts[b.kind];
      box.appendChild(span);
    }
  }

  function counters() {
    for (const counter of form.querySelectorAll("[data-count-for]")) {
      const length = field(counter.dataset.countFor).value.length;
      counter.textContent = `${length}/${counter.dataset.limit}`;
      counter.classList.toggle("danger", length > Number(counter.dataset.limit));
    }
  }

  function list(boxId, title, items, render) {
    const box = document.getElementById(boxId);
    box.textContent = "";
    if (!items.length) return;
    const p = document.createElement("p");
    p.textContent = title;
    const ul = document.createElement("ul");
    for (const item of items) {
      const li = document.createElement("li");
      li.textContent = render(item);
      ul.appendChild(li);
    }
    box.append(p, ul);
  }

  async function check() {
    const d = definition();
    const mine = ++checks;
    const res = await post("/settings/templates/check", d);
    if (!res.ok || mine !== checks) return;
    const result = await res.json();
    if (mine !== checks) return;
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    for (const problem of result.problems) {
      const target = form.querySelector(`[data-field="${problem.field}"]`) || form.querySelector(`[data-field="${problem.field.split(".")[0]}"]`);
      if (target) target.setAttribute("aria-invalid", "true");
    }
    list("tpl-problems", texts.problems, result.problems, (p) => p.message);
    list("tpl-advice", texts.advice, result.advice, (a) => a);
    if (!result.problems.length) state.textContent = texts.ready;
    return result;
  }

  function changed() {
    state.textContent = heldId ? state.textContent : "";
    document.getElementById("tpl-header-file").hidden = !["image", "video", "document"].includes(field("header").value);
    counters();
    renderSamples();
    preview(definition());
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  }

  async function save() {
    const res = await post("/settings/templates/drafts", { id: draftId, definition: definition() });
    const body = await res.json();
    if (!res.ok) {
      state.textContent = texts.failed.replace("{reason}", body.detail || res.status);
      return null;
    }
    draftId = body.id;
    state.textContent = texts.saved;
    return draftId;
  }

  async function uploadHeader(file) {
    const out = document.getElementById("tpl-header-file-state");
    const body = new FormData();
    body.append("file", file);
    body.append("kind", field("header").value);
    const res = await fetch("/settings/templates/samples", {
      method: "POST",
      headers: { "X-CSRF-Token": csrf, Accept: "application/json" },
      body,
    });
    const answer = await res.json();
    if (!res.ok) {
      headerSample = null;
      out.textContent = texts.failed.replace("{reason}", answer.detail || res.status);
    } else {
      headerSample = answer.key;
      out.textContent = texts.uploaded;
    }
    changed();
  }

  async function submitChange() {
    const res = await post(`/settings/templates/${heldId}/edit`, definition());
    const body = await res.json();
    if (!res.ok) {
      state.textContent = body.detail || String(res.status);
      if (body.problems) list("tpl-problems", texts.problems, body.problems, (p) => p.message);
      return;
    }
    state.textContent = texts.changed;
    window.location.assign(`/settings/templates?changed=${encodeURIComponent(definition().name)}`);
  }

  async function submit() {
    if (heldId) return submitChange();
    const id = await save();
    if (id === null) return;
    const res = await post(`/settings/templates/${id}/submit`);
    const body = await res.json();
    if (!res.ok) {
      state.textContent = body.detail || String(res.status);
      if (body.problems) list("tpl-problems", texts.problems, body.problems, (p) => p.message);
      return;
    }
    state.textContent = texts.submitted;
    window.location.assign(`/settings/templates?submitted=${encodeURIComponent(definition().name)}`);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  document.getElementById("tpl-preset").addEventListener("change", (event) => {
    const preset = data.presets[event.target.value];
    if (preset) {
      draftId = null;
      fill(preset);
    }
  });
  form.addEventListener("click", (event) => {
    const add = event.target.closest("[data-add-button]");
    if (add) {
      addButton({ kind: add.dataset.addButton });
      changed();
    }
    const remove = event.target.closest("[data-remove-button]");
    if (remove) {
      remove.closest(".tpl-button").remove();
      changed();
    }
  });
  document.addEventListener("click", (event) => {
    const edit = event.target.closest("[data-edit-draft]");
    const held = event.target.closest("[data-edit-held]");
    if (!edit && !held) return;
    heldId = held ? Number(held.dataset.editHeld) : null;
    draftId = edit ? Number(edit.dataset.editDraft) : null;
    const d = held ? data.held[heldId] : data.drafts[draftId];
    fill(d);
    // WhatsApp keeps a template's name and language; a change goes straight to review.
    field("name").readOnly = Boolean(held);
    field("language").disabled = Boolean(held);
    document.getElementById("tpl-save").hidden = Boolean(held);
    document.getElementById("tpl-submit").textContent = held ? texts.submit_change : document.getElementById("tpl-submit").textContent;
    if (held) state.textContent = texts.editing.replace("{name}", d.name);
    form.scrollIntoView();
  });
  field("header_file").addEventListener("change", (event) => {
    event.stopPropagation();
    if (event.target.files[0]) uploadHeader(event.target.files[0]);
  });
  document.getElementById("tpl-save").addEventListener("click", save);
  document.getElementById("tpl-submit").addEventListener("click", submit);
  changed();
})();
