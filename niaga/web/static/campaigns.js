// The campaign editor: template, audience conditions, where each parameter comes from, the
// audience and cost check, then send now or schedule. No inline script (CSP).
(function () {
  "use strict";
  const form = document.getElementById("camp-editor");
  if (!form) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const data = JSON.parse(document.getElementById("camp-data").textContent);
  const texts = JSON.parse(document.getElementById("camp-texts").textContent);
  const conditionsBox = document.getElementById("camp-conditions");
  const paramsBox = document.getElementById("camp-params");
  const paramsBoxB = document.getElementById("camp-params-b");
  const state = document.getElementById("camp-state");
  const estimateBox = document.getElementById("camp-estimate");
  let draftId = null;

  const field = (name) => form.elements.namedItem(name);
  const el = (tag, props = {}, ...children) => {
    const { dataset, ariaLabel, ...rest } = props;
    const node = Object.assign(document.createElement(tag), rest);
    Object.assign(node.dataset, dataset || {});
    if (ariaLabel) node.setAttribute("aria-label", ariaLabel);
    node.append(...children);
    return node;
  };

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
      body: JSON.stringify(body || {}),
    });
  }

  function templateOf(select) {
    return data.templates.find((t) => String(t.id) === select.value);
  }

  // The parameters of one version's template: where each value comes from.
  function renderParams(t, box, bodyNode) {
    bodyNode.textContent = t ? t.body : "";
    box.textContent = "";
    if (!t) return;
    const names = [...t.body_params, ...(t.header_param ? [t.header_param] : [])];
    for (const name of names) {
      const source = el("select", { name: `source.${name}`, ariaLabel: `${name}` });
      for (const s of ["name", "first_name", "phone", "attribute", "last_order", "last_order_total", "text"]) {
        source.append(el("option", { value: s, textContent: texts[`source.${s}`] }));
      }
      const guess = /nama|name/.test(name) ? "first_name" : /pesanan|order/.test(name) ? "last_order" : "text";
      source.value = guess;
      const row = el("div", { className: "camp-param wide", dataset: { param: name } },
        el("strong", { textContent: `{{${name}}}` }), " ", source,
        el("input", { name: `extra.${name}`, placeholder: `${texts.key} / ${texts.value}`, ariaLabel: `${name} ${texts.value}` }),
        el("input", { name: `fallback.${name}`, placeholder: texts.fallback, ariaLabel: `${name} ${texts.fallback}` }),
        el("label", { className: "check" }, el("input", { type: "checkbox", name: `skip.${name}` }), ` ${texts.skip}`));
      box.append(row);
    }
  }

  function tracked(t) {
    return Boolean(t) && t.url_buttons.some((b) => String(b.url).endsWith("/l/{{1}}"));
  }

  function renderTemplate() {
    const a = templateOf(field("template_id"));
    renderParams(a, paramsBox, document.getElementById("camp-template-body"));
    const b = abOn() ? templateOf(field("b_template_id")) : null;
    document.getElementById("camp-link").hidden = !(tracked(a) || tracked(b));
  }

  function abOn() {
    return field("ab_on").checked;
  }

  function renderVersionB() {
    document.getElementById("camp-ab-fields").hidden = !abOn();
    renderParams(abOn() ? templateOf(field("b_template_id")) : null, paramsBoxB,
      document.getElementById("camp-template-body-b"));
    renderTemplate();
  }

  function addCondition(kind) {
    const row = el("div", { className: "camp-condition", dataset: { kind } },
      el("span", { className: "badge", textContent: texts[kind] }), " ");
    if (kind === "label") {
      const select = el("select", { name: "label", ariaLabel: texts.label });
      for (const name of data.labels) select.append(el("option", { value: name, textContent: name }));
      row.append(select);
    } else if (kind === "attribute") {
      row.append(el("input", { name: "key", placeholder: texts.key, ariaLabel: texts.key }),
        el("input", { name: "value", placeholder: texts.value, ariaLabel: texts.value }));
    } else if (kind === "last_message" || kind === "orders" || kind === "points") {
      const start = { orders: 1, points: 100 }[kind] ?? 30;
      row.append(el("input", { name: "number", type: "number", min: 0, value: start, ariaLabel: texts[kind] }));
    } else if (kind === "group") {
      const select = el("select", { name: "group", ariaLabel: texts.group });
      for (const g of data.groups || []) select.append(el("option", { value: g.id, textContent: g.name }));
      row.append(select);
    } else if (kind === "bought") {
      row.append(el("input", { name: "skus", placeholder: "SKU-1, SKU-2", ariaLabel: texts.bought }));
    }
    row.append(" ", el("label", { className: "check" }, el("input", { type: "checkbox", name: "negate" }), ` ${texts.not}`),
      " ", el("button", { type: "button", className: "link danger", textContent: texts.remove, dataset: { remove: "1" } }));
    conditionsBox.append(row);
  }

  function conditions() {
    return [...conditionsBox.querySelectorAll(".camp-condition")].map((row) => {
      const get = (n) => row.querySelector(`[name="${n}"]`);
      const negate = get("negate").checked;
      switch (row.dataset.kind) {
        case "label": return { field: "label", label: get("label").value, negate };
        case "attribute": return { field: "attribute", key: get("key").value, value: get("value").value, negate };
        case "last_message": return { field: "last_message", op: "within_days", days: Number(get("number").value), negate };
        case "orders": return { field: "orders", measure: "count", at_least: Number(get("number").value), negate };
        case "group": return { field: "group", group_id: Number(get("group").value), negate };
        case "points": return { field: "points", measure: "balance", at_least: Number(get("number").value), negate };
        case "bought": return { field: "bought", skus: get("skus").value.split(",").map((s) => s.trim()).filter(Boolean), negate };
        default: return { field: "window_open", negate };
      }
    });
  }

  function params(box) {
    const out = {};
    for (const row of box.querySelectorAll(".camp-param")) {
      const name = row.dataset.param;
      const source = row.querySelector(`[name="source.${name}"]`).value;
      const extra = row.querySelector(`[name="extra.${name}"]`).value;
      const fallback = row.querySelector(`[name="fallback.${name}"]`).value;
      const skip = row.querySelector(`[name="skip.${name}"]`).checked;
      out[name] = {
        source,
        key: source === "attribute" ? extra : null,
        text: source === "text" ? extra : null,
        fallback: fallback || null,
        if_missing: skip ? "skip" : "fallback",
      };
    }
    return out;
  }

  function showEstimate(plan) {
    estimateBox.textContent = "";
    const skipped = Object.entries(plan.skipped).map(([r, n]) => `${texts[`reason.${r}`] || r}: ${n}`).join(", ");
    const rows = [
      [texts.audience, plan.audience],
      [texts.will_send, plan.will_send],
      [texts.skipped, skipped || "0"],
      [texts.held, plan.held_by_messaging_limit],
      ...(plan.free_entry_point ? [[texts.free_entry_point, plan.free_entry_point]] : []),
      [texts.cost, plan.estimate.total_idr_display],
    ];
    const table = el("table", { className: "table", id: "camp-plan" });
    for (const [label, value] of rows) {
      table.append(el("tr", {}, el("th", { textContent: label }), el("td", { textContent: String(value) })));
    }
    estimateBox.append(table);
  }

  async function save() {
    const body = {
      id: draftId,
      name: field("name").value.trim(),
      template_id: Number(field("template_id").value),
      rule: { conditions: conditions() },
      params: params(paramsBox),
      require_consent: field("require_consent").checked,
      link_url: field("link_url").value || null,
      kind: field("kind") ? field("kind").value : "broadcast",
    };
    if (abOn()) {
      body.variants = [
        { label: "A", template_id: body.template_id, params: body.params },
        { label: "B", template_id: Number(field("b_template_id").value), params: params(paramsBoxB) },
      ];
      body.ab_metric = field("ab_metric").value;
      body.test_share = field("test_share").value ? Number(field("test_share").value) : null;
      body.winner_after_hours = field("winner_after_hours").value ? Number(field("winner_after_hours").value) : null;
    }
    const res = await post("/campaigns/drafts", body);
    const answer = await res.json();
    if (!res.ok) {
      state.textContent = texts.failed.replace("{reason}", answer.detail || res.status);
      return null;
    }
    draftId = answer.id;
    return draftId;
  }

  async function check() {
    const id = await save();
    if (id === null) return;
    const res = await fetch(`/campaigns/${id}/estimate`, { headers: { Accept: "application/json" } });
    if (!res.ok) return;
    showEstimate(await res.json());
    state.textContent = "";
    document.getElementById("camp-send").disabled = false;
    document.getElementById("camp-schedule").disabled = false;
  }

  async function schedule(at) {
    const id = await save();
    if (id === null) return;
    const res = await post(`/campaigns/${id}/schedule`, { at });
    if (res.ok) window.location.assign(`/campaigns/${id}`);
    else state.textContent = (await res.json()).detail || String(res.status);
  }

  form.addEventListener("click", (event) => {
    const add = event.target.closest("[data-add-condition]");
    if (add) addCondition(add.dataset.addCondition);
    const remove = event.target.closest("[data-remove]");
    if (remove) remove.closest(".camp-condition").remove();
  });
  form.addEventListener("change", (event) => {
    if (event.target.name === "template_id") renderTemplate();
    if (event.target.name === "ab_on" || event.target.name === "b_template_id") renderVersionB();
    document.getElementById("camp-send").disabled = true;
    document.getElementById("camp-schedule").disabled = true;
  });
  document.getElementById("camp-check").addEventListener("click", check);
  document.getElementById("camp-save-segment").addEventListener("click", async () => {
    const name = field("segment_name").value.trim();
    const out = document.getElementById("camp-segment-state");
    if (!name) { field("segment_name").focus(); return; }
    const res = await post("/campaigns/segments", { name, rule: { conditions: conditions() } });
    const body = await res.json();
    out.textContent = res.ok ? texts.segment_saved.replace("{count}", body.count)
      : texts.failed.replace("{reason}", body.detail || res.status);
  });
  document.getElementById("camp-send").addEventListener("click", () => schedule(null));
  document.getElementById("camp-schedule").addEventListener("click", () => schedule(field("at").value || null));
  renderTemplate();
})();
