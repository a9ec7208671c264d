// Niaga team inbox: partial fetches, actions as JSON with the CSRF token, live updates by SSE.
(() => {
  "use strict";
  const i18n = document.getElementById("niaga-i18n");
  const T = i18n ? JSON.parse(i18n.textContent) : {};
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const listEl = document.getElementById("conv-list");
  const pane = document.getElementById("chat-pane");
  const filters = document.getElementById("filters");
  let current = pane.dataset.conversation ? Number(pane.dataset.conversation) : null;
  let replyTo = null;
  const me = Number(document.querySelector('meta[name="user-id"]').content);
  let viewers = [];

  const toast = (text) => {
    const el = document.getElementById("toast");
    el.textContent = text;
    el.classList.add("show");
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => el.classList.remove("show"), 3500);
  };

  async function post(url, body) {
    const res = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
      body: JSON.stringify(body || {}),
    });
    let data = {};
    try { data = await res.json(); } catch (e) { data = {}; }
    if (!res.ok) throw Object.assign(new Error(data.detail || res.statusText), { data, status: res.status });
    return data;
  }

  const filterQuery = () => {
    const params = new URLSearchParams(new FormData(filters));
    for (const [k, v] of [...params.entries()]) if (v === "" && k !== "status") params.delete(k);
    return params;
  };

  function debounce(fn, ms) {
    let t = null;
    return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
  }

  // ------------------------------------------------------------------ list
  async function refreshList() {
    const params = filterQuery();
    if (current) params.set("c", current);
    const res = await fetch(`/inbox/list?${params}`, { headers: { Accept: "text/html" } });
    if (res.ok) listEl.innerHTML = await res.text();
  }
  const refreshListSoon = debounce(refreshList, 150);

  filters.addEventListener("change", () => filters.requestSubmit());
  filters.querySelector('input[type="search"]').addEventListener("input", debounce(() => {
    const params = filterQuery();
    history.replaceState(null, "", `/inbox?${params}`);
    refreshList();
  }, 300));

  listEl.addEventListener("click", async (ev) => {
    const more = ev.target.closest("button.more");
    if (more) {
      const params = filterQuery();
      params.set("before", more.dataset.before);
      const res = await fetch(`/inbox/list?${params}`);
      more.remove();
      listEl.insertAdjacentHTML("beforeend", await res.text());
      return;
    }
    const link = ev.target.closest("a.conv");
    if (!link || ev.metaKey || ev.ctrlKey) return;
    ev.preventDefault();
    openConversation(Number(link.dataset.id), true);
  });

  // ------------------------------------------------------------------ conversation
  async function fetchConversation(id) {
    const res = await fetch(`/inbox/c/${id}`, { headers: { Accept: "text/html" } });
    if (!res.ok) throw new Error(res.statusText);
    const tpl = document.createElement("template");
    tpl.innerHTML = await res.text();
    return tpl.content;
  }

  async function openConversation(id, push) {
    current = id;
    replyTo = null;
    viewers = [];
    pane.dataset.conversation = id;
    const frag = await fetchConversation(id);
    if (id !== current) return;
    pane.replaceChildren(frag);
    if (viewers.length) showViewers(viewers); // presence heard while the chat was loading
    runInlineData();
    scrollThread();
    for (const a of listEl.querySelectorAll("a.conv")) a.classList.toggle("active", Number(a.dataset.id) === id);
    if (push) {
      const params = filterQuery();
      params.set("c", id);
      history.pushState({ c: id }, "", `/inbox?${params}`);
    }
    markRead();
    sayPresence();
  }

  window.addEventListener("popstate", () => {
    const c = new URLSearchParams(location.search).get("c");
    if (c) openConversation(Number(c), false);
  });

  async function refreshConversation() {
    if (!current) return;
    const id = current;
    const frag = await fetchConversation(id);
    if (id !== current) return;
    const chat = pane.querySelector(".chat");
    const fresh = frag.querySelector(".chat");
    const typing = pane.querySelector("#composer-text")?.value;
    const windowChanged = chat && fresh && chat.dataset.windowOpen !== fresh.dataset.windowOpen;
    if (!chat || (windowChanged && !typing)) {
      pane.replaceChildren(frag);
      runInlineData();
      scrollThread();
      return;
    }
    const thread = pane.querySelector("#thread");
    const atBottom = thread.scrollHeight - thread.scrollTop - thread.clientHeight < 80;
    thread.replaceWith(frag.querySelector("#thread"));
    pane.querySelector(".chat-head").replaceWith(frag.querySelector(".chat-head"));
    pane.querySelector("#panel").replaceWith(frag.querySelector("#panel"));
    if (viewers.length) showViewers(viewers);
    if (atBottom) scrollThread();
  }
  const refreshConversationSoon = debounce(refreshConversation, 120);

  function scrollThread() {
    const thread = pane.querySelector("#thread");
    if (thread) thread.scrollTop = thread.scrollHeight;
  }

  function markRead() {
    if (current && document.visibilityState === "visible") post(`/inbox/c/${current}/read`).catch(() => {});
  }

  async function sayPresence() {
    try {
      const data = await post("/inbox/presence", { conversation_id: current });
      viewers = data.viewers || [];
      showViewers(viewers);
    } catch (e) { /* signed out or offline: the next beat retries */ }
  }
  setInterval(sayPresence, 10000);
  window.addEventListener("beforeunload", () => {
    navigator.sendBeacon && fetch("/inbox/presence", {
      method: "POST", keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ conversation_id: null }),
    });
  });

  function showViewers(viewers) {
    const el = pane.querySelector("#viewers");
    if (!el) return;
    el.replaceChildren();
    if (!viewers.length) return;
    el.append(`👁 ${T.viewing}: `);
    for (const v of viewers) {
      const span = document.createElement("span");
      span.className = "viewer";
      span.textContent = v.name;
      el.append(span);
    }
  }

  // ------------------------------------------------------------------ composer
  const key = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`);

  async function send(message, form) {
    const button = form && form.querySelector('button[type="submit"]');
    if (button) button.disabled = true;
    try {
      const body = { message, reply_to_wamid: replyTo, idempotency_key: key() };
      try {
        await post(`/inbox/c/${current}/send`, body);
      } catch (err) {
        // The sensitive-data guard: the agent confirms, or nothing is sent.
        if (!(err.data && err.data.code === "sensitive_warn")) throw err;
        if (!window.confirm(err.message)) return;
        await post(`/inbox/c/${current}/send`, { ...body, confirm_sensitive: true });
      }
      if (form) form.reset();
      setReply(null);
      await refreshConversation();
      scrollThread();
    } catch (err) {
      toast(err.data && err.data.window_closed ? T.windowClosed : `${T.sendFailed}: ${err.message}`);
      if (err.data && err.data.window_closed) refreshConversation();
    } finally {
      if (button) button.disabled = false;
    }
  }

  function setReply(wamid, preview) {
    replyTo = wamid;
    const bar = pane.querySelector("#reply-bar");
    if (!bar) return;
    bar.hidden = !wamid;
    bar.querySelector("span").textContent = wamid ? `${T.replyingTo}: ${preview}` : "";
  }

  pane.addEventListener("submit", async (ev) => {
    const form = ev.target;
    ev.preventDefault();
    const data = new FormData(form);
    if (form.id === "text-form") {
      const body = String(data.get("body") || "").trim();
      if (body) await send({ type: "text", body, preview_url: /https?:\/\//.test(body) }, form);
    } else if (form.id === "note-form") {
      const body = String(data.get("body") || "").trim();
      if (!body) return;
      try { await post(`/inbox/c/${current}/note`, { body }); form.reset(); refreshConversation(); }
      catch (err) { toast(err.message); }
    } else if (form.id === "buttons-form") {
      const buttons = ["b1", "b2", "b3"].map((k) => String(data.get(k) || "").trim()).filter(Boolean)
        .map((title, i) => ({ id: `btn-${i + 1}-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-").slice(0, 40)}`, title }));
      await send({ type: "reply_buttons", body: data.get("body"), buttons }, form);
    } else if (form.id === "list-form") {
      const rows = String(data.get("rows") || "").split("\n").map((l) => l.trim()).filter(Boolean).map((line, i) => {
        const [title, description] = line.split("|").map((s) => s.trim());
        const row = { id: `row-${i + 1}`, title: title.slice(0, 24) };
        if (description) row.description = description.slice(0, 72);
        return row;
      });
      const section = { rows };
      if (data.get("section")) section.title = data.get("section");
      await send({ type: "list", body: data.get("body"), button: data.get("button"), sections: [section] }, form);
    } else if (form.id === "products-form") {
      const kind = ev.submitter ? ev.submitter.value : "product_list";
      const ids = [...form.querySelectorAll('input[name="product"]:checked')].map((i) => Number(i.value));
      try {
        await post(`/inbox/c/${current}/share`, { kind, product_ids: kind === "catalog" ? [] : ids, idempotency_key: key() });
        await refreshConversation();
        scrollThread();
      } catch (err) { toast(`${T.sendFailed}: ${err.message}`); }
    } else if (form.id === "media-form") {
      data.set("idempotency_key", key());
      const res = await fetch(`/inbox/c/${current}/media`, { method: "POST", headers: { "X-CSRF-Token": csrf }, body: data });
      if (!res.ok) { const d = await res.json().catch(() => ({})); toast(`${T.sendFailed}: ${d.detail || res.statusText}`); return; }
      form.reset();
      refreshConversation();
    } else if (form.id === "template-form") {
      const t = selectedTemplate();
      if (!t) return;
      const values = [...form.querySelectorAll("[data-param]")].map((i) => [i.dataset.param, i.value]);
      const message = { type: "template", name: t.name, language: t.language };
      const body = values.filter(([p]) => !p.startsWith("__"));
      message.body_params = t.named ? Object.fromEntries(body) : body.map(([, v]) => v);
      const header = values.find(([p]) => p === "__header");
      if (header) message.header = t.named ? { type: "text", text: header[1], parameter_name: t.header_param } : header[1];
      const media = values.find(([p]) => p === "__media");
      if (media) message.header = { type: t.header_media, link: media[1] };
      message.buttons = values.filter(([p]) => p.startsWith("__url_"))
        .map(([p, v]) => ({ sub_type: "url", index: Number(p.slice(6)), text: v }));
      await send(message, form);
    } else if (form.id === "contact-form") {
      const attributes = {};
      for (const line of String(data.get("attributes") || "").split("\n")) {
        const at = line.indexOf(":");
        if (at > 0) attributes[line.slice(0, at).trim()] = line.slice(at + 1).trim();
      }
      try {
        await post(`/inbox/contacts/${form.dataset.contact}`, { display_name: data.get("display_name"), notes: data.get("notes"), attributes });
        toast(T.saved);
        refreshListSoon();
      } catch (err) { toast(err.message); }
    }
  });

  // Enter sends, Shift+Enter is a new line; "/" opens quick replies.
  let qrItems = [];
  let qrIndex = 0;
  pane.addEventListener("keydown", (ev) => {
    if (ev.target.id !== "composer-text") return;
    const popup = pane.querySelector("#qr-popup");
    if (!popup.hidden && qrItems.length) {
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        ev.preventDefault();
        qrIndex = (qrIndex + (ev.key === "ArrowDown" ? 1 : -1) + qrItems.length) % qrItems.length;
        drawQuickReplies();
        return;
      }
      if (ev.key === "Enter" || ev.key === "Tab") { ev.preventDefault(); chooseQuickReply(qrIndex); return; }
      if (ev.key === "Escape") { popup.hidden = true; return; }
    }
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); ev.target.form.requestSubmit(); }
  });
  pane.addEventListener("input", debounce(async (ev) => {
    if (ev.target.id === "product-search") { findProducts(ev.target.value); return; }
    if (ev.target.id !== "composer-text") return;
    const value = ev.target.value;
    const popup = pane.querySelector("#qr-popup");
    const m = /^\/(\S*)$/.exec(value);
    if (!m) { popup.hidden = true; qrItems = []; return; }
    const res = await fetch(`/inbox/quick-replies?q=${encodeURIComponent(m[1])}&conversation_id=${current}`);
    qrItems = (await res.json()).items || [];
    qrIndex = 0;
    drawQuickReplies();
  }, 120));

  function drawQuickReplies() {
    const popup = pane.querySelector("#qr-popup");
    popup.replaceChildren();
    if (!qrItems.length) {
      const p = document.createElement("p");
      p.className = "muted small";
      p.style.padding = "8px";
      p.textContent = T.noQuickReply;
      popup.append(p);
    }
    qrItems.forEach((item, i) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = `qr-item${i === qrIndex ? " on" : ""}`;
      b.dataset.index = i;
      const strong = document.createElement("strong");
      strong.textContent = `/${item.shortcut}${item.title ? ` · ${item.title}` : ""}`;
      const small = document.createElement("small");
      small.textContent = item.body;
      b.append(strong, small);
      popup.append(b);
    });
    popup.hidden = false;
  }

  async function findProducts(q) {
    const res = await fetch(`/inbox/products?q=${encodeURIComponent(q)}`);
    const box = pane.querySelector("#product-results");
    if (!res.ok || !box) return;
    const chosen = new Set([...box.querySelectorAll("input:checked")].map((i) => i.value));
    box.replaceChildren();
    for (const p of (await res.json()).items) {
      const label = document.createElement("label");
      label.className = "check product-row";
      const input = document.createElement("input");
      input.type = "checkbox";
      input.name = "product";
      input.value = p.id;
      input.checked = chosen.has(String(p.id));
      label.append(input, ` ${p.name} · ${p.sku} · ${p.price}`);
      box.append(label);
    }
  }

  function chooseQuickReply(i) {
    const item = qrItems[i];
    const text = pane.querySelector("#composer-text");
    if (!item || !text) return;
    text.value = item.body;
    pane.querySelector("#qr-popup").hidden = true;
    qrItems = [];
    text.focus();
  }

  // Tabs, labels, assignment, status, replies, older messages.
  pane.addEventListener("click", async (ev) => {
    const qr = ev.target.closest(".qr-item");
    if (qr) { chooseQuickReply(Number(qr.dataset.index)); return; }
    const tab = ev.target.closest(".tab");
    if (tab) {
      if (tab.dataset.tab === "products") findProducts(pane.querySelector("#product-search").value);
      for (const t of pane.querySelectorAll(".tab")) t.classList.toggle("on", t === tab);
      for (const p of pane.querySelectorAll(".pane")) p.classList.toggle("on", p.dataset.pane === tab.dataset.tab);
      return;
    }
    const label = ev.target.closest(".label.toggle");
    if (label && !label.disabled) {
      const on = label.classList.contains("on");
      try {
        await post(`/inbox/c/${current}/labels`, { label_id: Number(label.dataset.label), action: on ? "remove" : "add", target: label.dataset.target });
        label.classList.toggle("on", !on);
        label.setAttribute("aria-pressed", String(!on));
        refreshListSoon();
      } catch (err) { toast(err.message); }
      return;
    }
    if (ev.target.id === "resolve") { await setStatus("resolved"); return; }
    if (ev.target.id === "template-sync") {
      try { await post("/inbox/templates/sync"); await openConversation(current, false); }
      catch (err) { toast(err.message); }
      return;
    }
    const reply = ev.target.closest(".reply-to");
    if (reply) { setReply(reply.dataset.wamid, reply.dataset.preview); pane.querySelector("#composer-text")?.focus(); return; }
    if (ev.target.id === "reply-cancel") { setReply(null); return; }
    const older = ev.target.closest("button.older");
    if (older) {
      const res = await fetch(`/inbox/c/${current}/older?before=${older.dataset.before}`);
      const thread = pane.querySelector("#thread");
      const height = thread.scrollHeight;
      older.remove();
      thread.insertAdjacentHTML("afterbegin", await res.text());
      thread.scrollTop = thread.scrollHeight - height;
    }
  });

  async function setStatus(status) {
    try { await post(`/inbox/c/${current}/status`, { status }); await refreshConversation(); refreshListSoon(); }
    catch (err) { toast(err.message); }
  }

  pane.addEventListener("change", async (ev) => {
    const id = ev.target.id;
    if (id === "assign-user" || id === "assign-team") {
      const user = pane.querySelector("#assign-user").value;
      const team = pane.querySelector("#assign-team").value;
      try {
        await post(`/inbox/c/${current}/assign`, { user_id: user ? Number(user) : null, team_id: team ? Number(team) : null });
        refreshConversation();
        refreshListSoon();
      } catch (err) { toast(err.message); }
    } else if (id === "set-status") {
      await setStatus(ev.target.value);
    } else if (id === "template-select") {
      drawTemplate();
    }
  });

  function templates() {
    const el = pane.querySelector("#templates-data");
    return el ? JSON.parse(el.textContent) : [];
  }
  function selectedTemplate() {
    const sel = pane.querySelector("#template-select");
    return sel && sel.value !== "" ? templates()[Number(sel.value)] : null;
  }
  function drawTemplate() {
    const t = selectedTemplate();
    const body = pane.querySelector("#template-body");
    const params = pane.querySelector("#template-params");
    params.replaceChildren();
    body.textContent = t ? [t.header, t.body, t.footer].filter(Boolean).join("\n\n") : "";
    if (!t) return;
    const add = (name, label) => {
      const wrap = document.createElement("label");
      wrap.textContent = label;
      const input = document.createElement("input");
      input.required = true;
      input.dataset.param = name;
      input.setAttribute("aria-label", label);
      wrap.append(input);
      params.append(wrap);
    };
    if (t.header_param) add("__header", `header {{${t.header_param}}}`);
    if (t.header_media) add("__media", `${t.header_media} URL (https://…)`);
    for (const p of t.body_params) add(p, `{{${p}}}`);
    for (const b of t.url_buttons) add(`__url_${b.index}`, `${b.text}: ${b.url}`);
    if (t.buttons.length) body.textContent += `\n\n[${t.buttons.join("] [")}]`;
  }
  function runInlineData() { if (pane.querySelector("#template-select")) drawTemplate(); }

  // ------------------------------------------------------------------ live
  const liveState = document.getElementById("live-state");
  function connect() {
    const source = new EventSource("/inbox/events");
    source.addEventListener("hello", () => { liveState.dataset.state = "live"; });
    source.onerror = () => { liveState.dataset.state = "connecting"; };
    const concerns = (data) => current && (data.conversation_id === current || (data.conversation_ids || []).includes(current));
    const onChange = (ev) => {
      const data = JSON.parse(ev.data);
      refreshListSoon();
      if (concerns(data)) {
        refreshConversationSoon();
        if (ev.type === "message.received") markRead();
      }
    };
    for (const name of ["message.received", "message.status_changed", "message.queued",
      "conversation.created", "conversation.assigned", "conversation.status_changed",
      "conversation.label_added", "conversation.label_removed", "conversation.note_added"]) {
      source.addEventListener(name, onChange);
    }
    source.addEventListener("presence", (ev) => {
      const data = JSON.parse(ev.data);
      if (!current || data.user_id === me) return;
      if (data.conversation_id === current) {
        viewers = (data.viewers || []).filter((v) => v.user_id !== me);
      } else {
        viewers = viewers.filter((v) => v.user_id !== data.user_id);
      }
      showViewers(viewers);
    });
  }
  connect();
  document.addEventListener("visibilitychange", markRead);
  if (current) { scrollThread(); runInlineData(); markRead(); sayPresence(); }
})();
