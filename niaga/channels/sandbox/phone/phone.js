// The sandbox's customer phone: chat list, chat, live updates over Server-Sent Events.
// Every piece of text goes into the page with textContent, never as HTML.
(function () {
  "use strict";

  const cfg = JSON.parse(document.getElementById("phone-config").dataset.config);
  const S = cfg.strings;
  const $ = (id) => document.getElementById(id);

  let current = null; // wa_id of the open chat
  let chats = [];
  let source = null;
  let quote = null; // {id, from, text} the next text replies to
  let stick = true; // keep the chat scrolled to the newest message
  let readBusy = false;
  let readAgain = false;
  const items = new Map(); // id -> item
  const nodes = new Map(); // id -> [json, node]

  // --- small helpers ----------------------------------------------------------------

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function fmt(text, params) {
    return text.replace(/\{(\w+)\}/g, (m, key) => (key in params ? String(params[key]) : m));
  }

  function rupiah(amount) {
    return "Rp" + Math.round(amount).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  }

  async function api(path, body) {
    const sep = path.includes("?") ? "&" : "?";
    const url = cfg.base + "/api" + path + sep + "lang=" + encodeURIComponent(cfg.lang);
    const init = body === undefined ? {} : {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    };
    const resp = await fetch(url, init);
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) throw new Error(typeof data.detail === "string" ? data.detail : String(resp.status));
    return data;
  }

  function showError(id, err) {
    $(id).textContent = err ? (err.message || String(err)) : "";
  }

  function banner(text) {
    $("banner").hidden = !text;
    $("banner").textContent = text || "";
  }

  // --- chat list --------------------------------------------------------------------

  function renderChats(list) {
    chats = list;
    const ul = $("chat-list");
    ul.replaceChildren();
    if (!list.length) {
      ul.append(el("li", "no-chats", S.no_customers));
      return;
    }
    for (const c of list) {
      const li = el("li", "chat-item" + (c.phone === current ? " active" : ""));
      li.tabIndex = 0;
      li.dataset.phone = c.phone;
      li.setAttribute("role", "button");
      li.append(el("div", "avatar", initial(c.name)));
      const mid = el("div", "chat-mid");
      const top = el("div", "chat-top");
      top.append(el("span", "chat-title", c.name), el("span", "chat-time", c.time));
      const bottom = el("div", "chat-bottom");
      bottom.append(el("span", "chat-preview", c.preview || c.e164));
      if (c.unread) {
        const badge = el("span", "badge", c.unread);
        badge.setAttribute("aria-label", fmt(S.unread, { count: c.unread }));
        bottom.append(badge);
      }
      mid.append(top, bottom);
      li.append(mid);
      li.addEventListener("click", () => openChat(c.phone));
      li.addEventListener("keydown", (e) => { if (e.key === "Enter") openChat(c.phone); });
      ul.append(li);
    }
    const open = list.find((c) => c.phone === current);
    if (open) {
      $("chat-name").textContent = open.name;
      $("chat-number").textContent = open.e164;
      $("chat-avatar").textContent = initial(open.name);
    }
  }

  function initial(name) {
    return (name || "?").trim().charAt(0).toUpperCase() || "?";
  }

  function openChat(phone) {
    if (phone === current) return;
    current = phone;
    items.clear();
    nodes.clear();
    setQuote(null);
    stick = true;
    $("messages").replaceChildren();
    $("empty").hidden = true;
    $("chat-head").hidden = false;
    $("messages").hidden = false;
    $("composer").hidden = false;
    showError("composer-error", null);
    const params = new URLSearchParams(location.search);
    params.set("chat", phone);
    history.replaceState(null, "", "?" + params.toString());
    renderChats(chats);
    connect();
    $("text").focus();
  }

  // --- live stream ------------------------------------------------------------------

  function connect() {
    if (source) source.close();
    let url = cfg.base + "/api/events?lang=" + encodeURIComponent(cfg.lang);
    if (current) url += "&chat=" + encodeURIComponent(current);
    source = new EventSource(url);
    source.addEventListener("chats", (e) => renderChats(JSON.parse(e.data)));
    source.addEventListener("items", (e) => applyItems(JSON.parse(e.data)));
    source.addEventListener("reconnect", connect); // the server ends streams now and then
    source.onopen = () => banner(null);
    source.onerror = () => banner(S.reconnecting);
  }

  function applyItems(data) {
    for (const id of data.removed) items.delete(id);
    for (const item of data.items) items.set(item.id, item);
    renderMessages();
    markRead();
  }

  function renderMessages() {
    const box = $("messages");
    const sorted = [...items.values()].sort((a, b) => a.at - b.at);
    const children = [];
    let day = null;
    for (const item of sorted) {
      if (item.day !== day) {
        day = item.day;
        const sep = el("div", "day");
        sep.append(el("span", null, day));
        children.push(sep);
      }
      const json = JSON.stringify(item);
      const cached = nodes.get(item.id);
      if (cached && cached[0] === json) {
        children.push(cached[1]);
      } else {
        const node = bubble(item);
        nodes.set(item.id, [json, node]);
        children.push(node);
      }
    }
    for (const id of [...nodes.keys()]) if (!items.has(id)) nodes.delete(id);
    box.replaceChildren(...children);
    followNewest();
  }

  function followNewest() {
    const box = $("messages");
    if (stick) box.scrollTop = box.scrollHeight;
  }

  window.addEventListener("resize", followNewest);
  $("messages").addEventListener("scroll", () => {
    const box = $("messages");
    stick = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  });

  // The chat is on screen: the customer reads what the business sent.
  async function markRead() {
    if (!current || document.visibilityState !== "visible") return;
    if (![...items.values()].some((i) => i.from === "biz" && i.unread)) return;
    if (readBusy) { readAgain = true; return; }
    readBusy = true;
    try {
      await api("/chats/" + encodeURIComponent(current) + "/read", {});
    } catch (err) {
      banner(fmt(S.error, { detail: err.message }));
    } finally {
      readBusy = false;
      if (readAgain) { readAgain = false; markRead(); }
    }
  }

  // --- one bubble -------------------------------------------------------------------

  function bubble(item) {
    const row = el("div", "row " + (item.from === "me" ? "out" : "in"));
    row.dataset.id = item.id;
    row.dataset.kind = item.kind;
    const b = el("div", "bubble");
    if (item.forwarded) b.append(el("div", "forwarded", "↪ " + S.forwarded));
    if (item.quote) b.append(quoteBox(item.quote));
    if (item.media) b.append(mediaBox(item.media));
    if (item.location) b.append(locationBox(item.location));
    if (item.header) b.append(el("div", "header", item.header));
    if (item.products && item.products.length) b.append(productsBox(item));
    if (item.text) b.append(el("div", "text" + (item.deleted ? " deleted" : ""), item.text));
    if (item.footer) b.append(el("div", "footer", item.footer));
    const meta = el("div", "meta");
    if (item.edited) meta.append(el("span", "edited", S.edited));
    meta.append(el("span", "time", item.time));
    if (item.from === "me") {
      const tick = el("span", "ticks " + item.status, item.status === "sent" ? "✓" : "✓✓");
      tick.setAttribute("aria-label", item.status);
      tick.dataset.status = item.status;
      meta.append(tick);
    }
    b.append(meta);
    const answer = el("button", "icon reply-to", "↩");
    answer.type = "button";
    answer.title = S.reply;
    answer.setAttribute("aria-label", S.reply);
    answer.addEventListener("click", () => setQuote({
      id: item.id,
      from: item.from,
      text: item.text || item.header || (item.media && item.media.label) || "",
    }));
    const wrap = el("div", "bubble-wrap");
    wrap.append(b);
    if (item.reactions && item.reactions.length) {
      wrap.append(el("div", "reactions", item.reactions.map((r) => r.emoji).join(" ")));
    }
    const actions = actionsBox(item);
    if (actions) wrap.append(actions);
    row.append(item.from === "me" ? answer : wrap, item.from === "me" ? wrap : answer);
    return row;
  }

  function quoteBox(q) {
    const box = el("div", "quote");
    box.append(el("div", "quote-from", q.from === "me" ? S.you : q.from === "biz" ? cfg.business : ""));
    box.append(el("div", "quote-text", q.text || "…"));
    return box;
  }

  function mediaBox(media) {
    const box = el("div", "media media-" + media.type);
    if (media.url) {
      const img = el("img");
      img.src = media.url;
      img.alt = media.label;
      img.addEventListener("load", followNewest);
      box.append(img);
    } else {
      box.append(el("div", "media-placeholder", (media.type === "document" ? "📄 " : "🖼 ") + (media.filename || media.label)));
      if (media.link) box.append(el("div", "media-link", media.link));
    }
    return box;
  }

  function locationBox(loc) {
    const box = el("div", "location");
    box.append(el("div", "pin", "📍"));
    const body = el("div");
    body.append(el("div", "loc-name", loc.name || S.location));
    if (loc.address) body.append(el("div", "loc-address", loc.address));
    body.append(el("div", "loc-coords", loc.latitude + ", " + loc.longitude));
    box.append(body);
    return box;
  }

  function productsBox(item) {
    const box = el("div", "products");
    for (const p of item.products.slice(0, 4)) {
      const line = el("div", "product");
      line.append(el("span", "product-name", (p.quantity ? p.quantity + " × " : "") + p.name));
      line.append(el("span", "product-price", p.price_text));
      box.append(line);
    }
    if (item.products.length > 4) box.append(el("div", "subtle", "+" + (item.products.length - 4)));
    return box;
  }

  function actionsBox(item) {
    if (item.from !== "biz") return null;
    const box = el("div", "actions-box");
    for (const button of item.buttons || []) {
      if (button.kind === "url" && /^https?:\/\//.test(button.url || "")) {
        const a = el("a", "action", "↗ " + button.title);
        a.href = button.url;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        a.title = fmt(S.opens_link, { url: button.url });
        box.append(a);
        continue;
      }
      const btn = el("button", "action", button.title);
      btn.type = "button";
      if (button.kind === "reply") {
        btn.addEventListener("click", () => send({ type: "button_reply", id: button.id, context_wamid: item.id }));
      } else if (button.kind === "quick_reply") {
        btn.addEventListener("click", () => send({ type: "template_button", id: button.id, context_wamid: item.id }));
      } else if (button.kind === "location") {
        btn.addEventListener("click", openLocation);
      } else {
        btn.disabled = true;
      }
      box.append(btn);
    }
    if (item.list) {
      const btn = el("button", "action", "☰ " + item.list.button);
      btn.type = "button";
      btn.addEventListener("click", () => openList(item));
      box.append(btn);
    }
    if (item.kind === "products") {
      const btn = el("button", "action", "🛍 " + item.cta);
      btn.type = "button";
      btn.disabled = !item.products.length;
      btn.addEventListener("click", () => openProducts(item));
      box.append(btn);
    }
    return box.childElementCount ? box : null;
  }

  // --- sending ----------------------------------------------------------------------

  async function send(message) {
    if (!current) return false;
    showError("composer-error", null);
    try {
      const answer = await api("/chats/" + encodeURIComponent(current) + "/messages", message);
      if (answer.niaga_status !== 200) {
        banner(fmt(S.not_delivered, { status: answer.niaga_status === null ? "-" : answer.niaga_status }));
      }
      return true;
    } catch (err) {
      showError("composer-error", err);
      return false;
    }
  }

  function setQuote(q) {
    quote = q;
    $("quote-bar").hidden = !q;
    if (q) {
      $("quote-from").textContent = q.from === "me" ? S.you : cfg.business;
      $("quote-text").textContent = q.text || "…";
      $("text").focus();
    }
  }

  $("quote-cancel").addEventListener("click", () => setQuote(null));

  $("composer").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = $("text");
    const text = input.value;
    if (!text.trim()) return;
    const message = { type: "text", text };
    if (quote) message.context_wamid = quote.id;
    $("send").disabled = true;
    if (await send(message)) {
      input.value = "";
      setQuote(null);
    }
    $("send").disabled = false;
    input.focus();
  });

  // A photo from the device; the composer's text becomes its caption.
  $("photo-open").addEventListener("click", () => $("photo").click());
  $("photo").addEventListener("change", () => {
    const file = $("photo").files[0];
    $("photo").value = "";
    if (!file) return;
    const reader = new FileReader();
    reader.onload = async () => {
      const data = String(reader.result);
      const message = {
        type: "image",
        mime_type: file.type,
        data_base64: data.slice(data.indexOf(",") + 1),
        caption: $("text").value,
      };
      if (await send(message)) $("text").value = "";
    };
    reader.readAsDataURL(file);
  });

  $("new-customer").addEventListener("submit", async (e) => {
    e.preventDefault();
    showError("nc-error", null);
    try {
      const created = await api("/customers", { name: $("nc-name").value, phone: $("nc-phone").value });
      $("nc-name").value = "";
      $("nc-phone").value = "";
      openChat(created.phone);
    } catch (err) {
      showError("nc-error", err);
    }
  });

  // --- sheets: location, list, products ---------------------------------------------

  for (const button of document.querySelectorAll("[data-close]")) {
    button.addEventListener("click", () => button.closest("dialog").close());
  }

  function openLocation() {
    showError("loc-error", null);
    $("location-dialog").showModal();
  }

  $("location-open").addEventListener("click", openLocation);

  $("location-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const lat = Number($("loc-lat").value.replace(",", "."));
    const lon = Number($("loc-long").value.replace(",", "."));
    const ok = await sendFrom("loc-error", {
      type: "location",
      name: $("loc-name").value,
      address: $("loc-address").value,
      latitude: Number.isFinite(lat) ? lat : 999,
      longitude: Number.isFinite(lon) ? lon : 999,
    });
    if (ok) $("location-dialog").close();
  });

  async function sendFrom(errorId, message) {
    showError(errorId, null);
    try {
      await api("/chats/" + encodeURIComponent(current) + "/messages", message);
      return true;
    } catch (err) {
      showError(errorId, err);
      return false;
    }
  }

  function openList(item) {
    $("list-title").textContent = item.list.button;
    const box = $("list-sections");
    box.replaceChildren();
    showError("list-error", null);
    $("list-send").disabled = true;
    for (const section of item.list.sections) {
      if (section.title) box.append(el("div", "section-title", section.title));
      for (const row of section.rows) {
        const label = el("label", "list-row");
        const radio = el("input");
        radio.type = "radio";
        radio.name = "row";
        radio.value = row.id;
        radio.addEventListener("change", () => { $("list-send").disabled = false; });
        const text = el("span", "row-text");
        text.append(el("span", "row-title", row.title));
        if (row.description) text.append(el("span", "row-description", row.description));
        label.append(text, radio);
        box.append(label);
      }
    }
    $("list-send").onclick = async (e) => {
      e.preventDefault();
      const chosen = box.querySelector("input[name=row]:checked");
      if (!chosen) return;
      const ok = await sendFrom("list-error", { type: "list_reply", id: chosen.value, context_wamid: item.id });
      if (ok) $("list-dialog").close();
    };
    $("list-dialog").showModal();
  }

  function openProducts(item) {
    $("products-title").textContent = item.header || item.cta;
    const box = $("products-list");
    box.replaceChildren();
    showError("products-error", null);
    const qty = new Map();
    const total = () => {
      let count = 0;
      let sum = 0;
      for (const p of item.products) {
        const n = qty.get(p.id) || 0;
        count += n;
        sum += n * p.price;
      }
      $("cart-total").textContent = fmt(S.cart_total, { count, total: rupiah(sum) });
      $("cart-send").disabled = count === 0;
    };
    let section = null;
    for (const p of item.products) {
      if (p.section && p.section !== section) {
        section = p.section;
        box.append(el("div", "section-title", section));
      }
      const line = el("label", "product-row");
      const text = el("span", "row-text");
      text.append(el("span", "row-title", p.name), el("span", "row-description", p.price_text));
      const input = el("input", "qty");
      input.type = "number";
      input.min = "0";
      input.max = "99";
      input.value = "0";
      input.setAttribute("aria-label", S.quantity + " " + p.name);
      input.dataset.product = p.id;
      input.addEventListener("input", () => {
        const n = Math.max(0, Math.min(99, parseInt(input.value, 10) || 0));
        qty.set(p.id, n);
        total();
      });
      line.append(text, input);
      box.append(line);
    }
    total();
    $("cart-send").onclick = async (e) => {
      e.preventDefault();
      const chosen = item.products
        .filter((p) => (qty.get(p.id) || 0) > 0)
        .map((p) => ({ product_retailer_id: p.id, quantity: qty.get(p.id) }));
      const ok = await sendFrom("products-error", { type: "order", items: chosen, catalog_id: item.catalog_id || null });
      if (ok) $("products-dialog").close();
    };
    $("products-dialog").showModal();
  }

  // --- start ------------------------------------------------------------------------

  document.addEventListener("visibilitychange", markRead);
  const wanted = new URLSearchParams(location.search).get("chat");
  if (wanted) openChat(wanted); else connect();
})();
