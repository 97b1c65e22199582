/* The phone simulator (/dev/phone/): a resident's WhatsApp chat, in plain JavaScript.
 *
 * No framework, no inline code, no inline handlers, so the page works under a strict
 * Content-Security-Policy. Texts come translated from the server in the JSON block
 * #phone-config; every message goes through the server (the signed webhook), and the chat is
 * what the server says the phone has sent and received, polled every second while visible.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("phone-config").textContent);
  var S = config.strings;
  var STORAGE_KEY = "layan.phone.v1";
  var SVG = "http://www.w3.org/2000/svg";
  var ICONS = {
    ticks: { box: "0 0 18 12", d: "M1 6.5l3 3L11.5 2M7.2 9.6l.9.9L15.8 2", stroke: true },
    clock: { box: "0 0 16 16", d: "M8 2.5a5.5 5.5 0 1 0 0 11a5.5 5.5 0 1 0 0-11zM8 5v3.4l2.2 1.4", stroke: true },
    failed: { box: "0 0 16 16", d: "M8 1.5a6.5 6.5 0 1 0 0 13a6.5 6.5 0 1 0 0-13zm-.8 3h1.6v4.8H7.2zm0 6h1.6v1.6H7.2z" },
    list: { box: "0 0 24 24", d: "M4 6.5h16M4 12h16M4 17.5h16", stroke: true },
    reply: { box: "0 0 24 24", d: "M10 9V5l-7 7 7 7v-4.1c5 0 8.5 1.6 11 5.1-1-5-4-10-11-11z" },
  };

  var $ = function (id) { return document.getElementById(id); };
  var els = {
    setup: $("setup"),
    channel: $("channel"),
    waId: $("wa-id"),
    name: $("name"),
    chat: $("chat"),
    empty: $("empty"),
    composer: $("composer"),
    text: $("text"),
    file: $("file"),
    officeName: $("office-name"),
    officeSub: $("office-sub"),
    avatar: $("avatar"),
    online: $("online"),
    sheet: $("sheet"),
    sheetTitle: $("sheet-title"),
    sheetBody: $("sheet-body"),
    sheetClose: $("sheet-close"),
    sheetBackdrop: $("sheet-backdrop"),
    toast: $("toast"),
    failForm: $("fail-form"),
    failKind: $("fail-kind"),
    failCode: $("fail-code"),
    failCodeField: $("fail-code-field"),
    failCount: $("fail-count"),
    failClear: $("fail-clear"),
    rules: $("rules"),
    outbox: $("outbox"),
  };

  var state = {
    generation: 0, // bumped when the conversation (number or office) changes
    cursor: "",
    items: new Map(), // key -> {item, node, json}
    timer: null,
    inFlight: false,
    tmp: 0,
    outboxJson: "",
    rulesJson: "",
    sheetOpener: null,
    toastTimer: null,
  };

  // ------------------------------------------------------------------ small helpers

  function format(text, params) {
    return String(text).replace(/%\((\w+)\)s/g, function (all, name) {
      return params && name in params ? String(params[name]) : all;
    });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function icon(name, className) {
    var spec = ICONS[name];
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", spec.box);
    svg.setAttribute("aria-hidden", "true");
    if (className) svg.setAttribute("class", className);
    var path = document.createElementNS(SVG, "path");
    path.setAttribute("d", spec.d);
    if (spec.stroke) {
      path.setAttribute("fill", "none");
      path.setAttribute("stroke", "currentColor");
      path.setAttribute("stroke-width", "1.7");
      path.setAttribute("stroke-linecap", "round");
      path.setAttribute("stroke-linejoin", "round");
    } else {
      path.setAttribute("fill", "currentColor");
    }
    svg.appendChild(path);
    return svg;
  }

  function escapeHtml(text) {
    return text.replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // WhatsApp's formatting on already-escaped text: *bold*, _italic_, ~strike~, ```mono```.
  function decorate(html) {
    return html
      .replace(/```([\s\S]+?)```/g, "<code>$1</code>")
      .replace(/(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?!\w)/g, "$1<strong>$2</strong>")
      .replace(/(^|[^\w_])_(?=\S)([^_\n]*?\S)_(?!\w)/g, "$1<em>$2</em>")
      .replace(/(^|[^\w~])~(?=\S)([^~\n]*?\S)~(?!\w)/g, "$1<del>$2</del>");
  }

  var URL_RE = /\bhttps?:\/\/[^\s<>"']*[^\s<>"'.,;:!?)]/g;

  // Text → safe HTML: everything escaped first, links kept out of the formatting.
  function richText(text) {
    var source = String(text || "");
    var html = "";
    var last = 0;
    source.replace(URL_RE, function (url, offset) {
      html += decorate(escapeHtml(source.slice(last, offset)));
      var safe = escapeHtml(url);
      html += '<a href="' + safe + '" target="_blank" rel="noopener noreferrer">' + safe + "</a>";
      last = offset + url.length;
      return url;
    });
    html += decorate(escapeHtml(source.slice(last)));
    return html.replace(/\r?\n/g, "<br>");
  }

  function textBlock(text, className) {
    var div = el("div", className || "body");
    div.innerHTML = richText(text);
    return div;
  }

  function timeOf(at) {
    var date = new Date(at);
    if (isNaN(date.getTime())) return "";
    var lang = document.documentElement.lang || "id";
    return date.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
  }

  function csrfToken() {
    var name = config.csrfCookie || "csrftoken";
    var parts = document.cookie ? document.cookie.split(";") : [];
    for (var i = 0; i < parts.length; i++) {
      var part = parts[i].trim();
      if (part.indexOf(name + "=") === 0) return decodeURIComponent(part.slice(name.length + 1));
    }
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  async function api(url, options) {
    options = options || {};
    var headers = Object.assign({ "X-CSRFToken": csrfToken(), Accept: "application/json" },
      options.headers || {});
    var response = await fetch(url, Object.assign({}, options, {
      headers: headers, credentials: "same-origin", cache: "no-store",
    }));
    var data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    return { ok: response.ok, status: response.status, data: data || {} };
  }

  function postJSON(url, body) {
    return api(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  function toast(message, isError) {
    els.toast.textContent = message;
    els.toast.classList.toggle("error", !!isError);
    els.toast.hidden = false;
    clearTimeout(state.toastTimer);
    state.toastTimer = setTimeout(function () { els.toast.hidden = true; }, isError ? 6000 : 3000);
  }

  // ------------------------------------------------------------------ who talks to whom

  function current() {
    var waId = els.waId.value.replace(/\D/g, "");
    var valid = /^[0-9]{6,20}$/.test(waId) && !!els.channel.value;
    els.waId.classList.toggle("invalid", !/^[0-9]{6,20}$/.test(waId));
    if (!valid) return null;
    return { channel: els.channel.value, waId: waId, name: els.name.value.trim() };
  }

  function conversationKey() {
    var c = current();
    return c ? c.channel + "/" + c.waId : "";
  }

  function save() {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify({
        channel: els.channel.value, wa_id: els.waId.value, name: els.name.value,
      }));
    } catch (e) { /* private mode: not remembered */ }
  }

  function restore() {
    if (window.location.search) return; // a link with ?channel=…&wa_id=… wins
    var saved = null;
    try { saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || "null"); } catch (e) { saved = null; }
    if (!saved || typeof saved !== "object") return;
    if (saved.channel && els.channel.querySelector('option[value="' + CSS.escape(saved.channel) + '"]')) {
      els.channel.value = saved.channel;
    }
    if (typeof saved.wa_id === "string" && /^[0-9]{6,20}$/.test(saved.wa_id)) els.waId.value = saved.wa_id;
    if (typeof saved.name === "string") els.name.value = saved.name.slice(0, 100);
  }

  function updateHeader() {
    var option = els.channel.selectedOptions[0];
    var office = option ? option.dataset.office || option.textContent : "";
    els.officeName.textContent = office;
    els.officeSub.textContent = option
      ? [option.dataset.label, option.dataset.phone].filter(Boolean).join(" · ")
      : "";
    var words = office.split(/\s+/).filter(Boolean);
    els.avatar.textContent = words.slice(-2).map(function (w) { return w[0]; }).join("").toUpperCase() || "L";
    document.title = office ? office + " · WhatsApp" : document.title;
  }

  var lastKey = "";

  function switchConversation() {
    var key = conversationKey();
    save();
    updateHeader();
    if (key === lastKey) return;
    lastKey = key;
    state.generation += 1;
    state.cursor = "";
    state.items.forEach(function (entry) { entry.node.remove(); });
    state.items.clear();
    state.outboxJson = "";
    closeSheet();
    updateEmpty();
    renderOutbox([]);
    poll();
  }

  // ------------------------------------------------------------------ drawing messages

  function findByWamid(wamid) {
    var found = null;
    state.items.forEach(function (entry) {
      if (!found && entry.item.wamid === wamid) found = entry.item;
    });
    return found;
  }

  function ticks(item) {
    var status = item.webhook_status;
    if (item.failed || (typeof status === "number" && (status === 0 || status >= 300))) {
      var failed = icon("failed", "ticks failed");
      return failed;
    }
    if (status === null || status === undefined) return icon("clock", "ticks pending");
    return icon("ticks", "ticks");
  }

  function statusText(item) {
    var status = item.webhook_status;
    if (item.failed) return item.failed;
    if (status === 0) return S.unreachable;
    if (status === null || status === undefined) return S.sending;
    if (status >= 300) return format(S.webhook_status, { status: status });
    return S.delivered;
  }

  function actionButton(label, iconName, onClick) {
    var button = el("button", "action");
    button.type = "button";
    if (iconName) button.appendChild(icon(iconName));
    button.appendChild(el("span", null, label));
    button.addEventListener("click", onClick);
    return button;
  }

  function decorations(bubble, item) {
    if (item.header) bubble.appendChild(el("div", "header", item.header));
    if (item.text) bubble.appendChild(textBlock(item.text));
    if (item.footer) bubble.appendChild(el("div", "footer", item.footer));
  }

  function draw(item) {
    var mine = item.from === "me";
    var row = el("div", "row " + (mine ? "out" : "in"));
    row.dataset.key = item.key;
    var stack = el("div", "stack");
    var bubble = el("div", "bubble");
    stack.appendChild(bubble);
    row.appendChild(stack);

    if (item.reply_to) {
      var quoted = findByWamid(item.reply_to);
      if (quoted && quoted.summary) bubble.appendChild(el("div", "quote", quoted.summary));
    }

    var actions = null;
    switch (item.kind) {
      case "text":
        bubble.appendChild(textBlock(item.text));
        if (item.description) bubble.appendChild(el("div", "footer", item.description));
        break;
      case "buttons":
        decorations(bubble, item);
        actions = el("div", "actions");
        (item.buttons || []).forEach(function (b) {
          actions.appendChild(actionButton(b.title, "reply", function () {
            sendMessage({ type: "button_reply", id: b.id, title: b.title, context: item.wamid });
          }));
        });
        break;
      case "list":
        decorations(bubble, item);
        actions = el("div", "actions");
        var opener = actionButton(item.button || "≡", "list", function () { openSheet(item, opener); });
        opener.setAttribute("aria-haspopup", "dialog");
        actions.appendChild(opener);
        break;
      case "template":
        if (item.text) {
          bubble.appendChild(textBlock(item.text));
        } else {
          bubble.appendChild(el("span", "tag", S.template));
          bubble.appendChild(el("div", "params", format(S.template_params, {
            name: item.name, params: (item.params || []).join(" | ") || "—",
          })));
        }
        if ((item.buttons || []).length) {
          actions = el("div", "actions");
          item.buttons.forEach(function (b) {
            actions.appendChild(actionButton(b.text, "reply", function () {
              sendMessage({ type: "button", payload: b.payload, text: b.text, context: item.wamid });
            }));
          });
        }
        break;
      case "image":
        if (item.url) {
          var link = el("a");
          link.href = item.url;
          link.target = "_blank";
          link.rel = "noopener";
          var img = el("img", "photo");
          img.src = item.url;
          img.alt = item.caption || S.photo;
          img.loading = "lazy";
          img.addEventListener("load", keepAtBottomIfNear);
          link.appendChild(img);
          bubble.appendChild(link);
        } else {
          bubble.appendChild(el("div", "params", S.photo));
        }
        if (item.caption) bubble.appendChild(textBlock(item.caption));
        break;
      case "document":
        var name = item.filename || S.document;
        var extension = (name.split(".").pop() || "").slice(0, 4).toUpperCase();
        var doc = el(item.url ? "a" : "div", "doc");
        if (item.url) {
          doc.href = item.url;
          doc.target = "_blank";
          doc.rel = "noopener";
        }
        doc.appendChild(el("span", "doc-icon", extension && extension !== name.toUpperCase() ? extension : "DOC"));
        doc.appendChild(el("span", "doc-name", name));
        if (item.url) doc.appendChild(el("span", "doc-open", S.open));
        bubble.appendChild(doc);
        if (item.caption) bubble.appendChild(textBlock(item.caption));
        break;
      default:
        bubble.appendChild(textBlock(item.text || "[" + (item.type || "?") + "]"));
    }

    var meta = el("span", "meta");
    meta.appendChild(el("time", null, timeOf(item.at)));
    if (mine) {
      meta.title = statusText(item);
      meta.appendChild(ticks(item));
    }
    bubble.appendChild(meta);
    if (actions) stack.appendChild(actions);
    if (mine && (item.failed || item.webhook_status === 0 || item.webhook_status >= 300)) {
      stack.appendChild(el("div", "failed-note", statusText(item)));
    }
    return row;
  }

  function sortKey(item) {
    var t = Date.parse(item.at);
    return [isNaN(t) ? Infinity : t, item.key];
  }

  function before(a, b) {
    var ka = sortKey(a);
    var kb = sortKey(b);
    if (ka[0] !== kb[0]) return ka[0] < kb[0];
    return ka[1] < kb[1];
  }

  function nearBottom() {
    var chat = els.chat;
    return chat.scrollHeight - chat.scrollTop - chat.clientHeight < 120;
  }

  function scrollToBottom() {
    els.chat.scrollTop = els.chat.scrollHeight;
  }

  function keepAtBottomIfNear() {
    if (nearBottom()) scrollToBottom();
  }

  function updateEmpty() {
    els.empty.hidden = state.items.size > 0;
  }

  function addItem(item) {
    if (item.key.indexOf("tmp:") !== 0) dropTemporaryTwin(item);
    var json = JSON.stringify(item);
    var existing = state.items.get(item.key);
    if (existing && existing.json === json) return;
    var stick = nearBottom() || item.from === "me";
    var node = draw(item);
    if (existing) {
      existing.node.replaceWith(node);
      existing.node = node;
      existing.item = item;
      existing.json = json;
    } else {
      // Keep the chat in time order; temporary bubbles (no server time yet) stay last.
      var next = null;
      state.items.forEach(function (entry) {
        if (before(item, entry.item) && (!next || before(entry.item, next.item))) next = entry;
      });
      els.chat.insertBefore(node, next ? next.node : null);
      state.items.set(item.key, { item: item, node: node, json: json });
    }
    updateEmpty();
    if (stick) scrollToBottom();
  }

  function removeItem(key) {
    var entry = state.items.get(key);
    if (!entry) return;
    entry.node.remove();
    state.items.delete(key);
    updateEmpty();
  }

  // ------------------------------------------------------------------ the list sheet

  function openSheet(item, opener) {
    state.sheetOpener = opener || null;
    els.sheetTitle.textContent = item.button || "";
    els.sheetBody.textContent = "";
    (item.sections || []).forEach(function (section) {
      if (section.title) els.sheetBody.appendChild(el("div", "sheet-section", section.title));
      (section.rows || []).forEach(function (row) {
        var button = el("button", "sheet-row");
        button.type = "button";
        button.dataset.id = row.id;
        var text = el("span", "sheet-row-text");
        text.appendChild(el("span", "sheet-row-title", row.title));
        if (row.description) text.appendChild(el("span", "sheet-row-desc", row.description));
        button.appendChild(text);
        button.appendChild(el("span", "radio"));
        button.addEventListener("click", function () {
          closeSheet();
          sendMessage({
            type: "list_reply", id: row.id, title: row.title,
            description: row.description || "", context: item.wamid,
          });
        });
        els.sheetBody.appendChild(button);
      });
    });
    els.sheet.hidden = false;
    var first = els.sheetBody.querySelector("button");
    (first || els.sheetClose).focus();
  }

  function closeSheet() {
    if (els.sheet.hidden) return;
    els.sheet.hidden = true;
    if (state.sheetOpener && document.body.contains(state.sheetOpener)) state.sheetOpener.focus();
    state.sheetOpener = null;
  }

  // ------------------------------------------------------------------ sending

  // What the bubble shows before the server answers; the same text as the server's item, so that
  // a poll bringing the real row first can take the temporary bubble's place.
  function previewText(message) {
    if (message.type === "text" || message.type === "button") return message.text;
    if (message.type === "image") return message.caption || S.photo;
    if (message.type === "document") return message.caption || message.filename || S.document;
    return message.title || "";
  }

  function summaryOf(text) {
    var line = String(text || "").split(/\s+/).filter(Boolean).join(" ");
    return line.length <= 80 ? line : line.slice(0, 79) + "…";
  }

  function dropTemporaryTwin(item) {
    if (item.from !== "me" || state.items.has(item.key)) return;
    var twin = null;
    state.items.forEach(function (entry) {
      if (!twin && entry.item.key.indexOf("tmp:") === 0 && !entry.item.failed
          && summaryOf(entry.item.text) === item.summary) twin = entry;
    });
    if (twin) removeItem(twin.item.key);
  }

  async function sendMessage(message) {
    switchConversation(); // a number typed but not yet confirmed (no blur) counts
    var c = current();
    if (!c) { toast(S.bad_number, true); return false; }
    var generation = state.generation;
    state.tmp += 1;
    var tmpKey = "tmp:" + state.tmp;
    addItem({
      key: tmpKey, from: "me", kind: "text", text: previewText(message),
      at: "", webhook_status: null, reply_to: message.context || "",
    });
    var result;
    try {
      result = await postJSON(config.urls.send, {
        channel: c.channel, wa_id: c.waId, name: c.name, message: message,
      });
    } catch (e) {
      result = null;
    }
    if (generation !== state.generation) return false;
    if (!result) {
      markFailed(tmpKey, S.network);
      toast(S.network, true);
      return false;
    }
    var data = result.data;
    if (data.item) {
      removeItem(tmpKey);
      addItem(data.item);
    } else {
      markFailed(tmpKey, data.error || "HTTP " + result.status);
    }
    if (!result.ok || data.ok === false) {
      toast(format(S.send_failed, { error: data.error || "HTTP " + result.status }), true);
    }
    pollSoon();
    return result.ok && data.ok !== false;
  }

  function markFailed(key, reason) {
    var entry = state.items.get(key);
    if (!entry) return;
    addItem(Object.assign({}, entry.item, { failed: reason }));
  }

  async function sendFile(file) {
    if (file.size > config.maxUpload) { toast(S.too_large, true); return; }
    switchConversation();
    var c = current();
    if (!c) { toast(S.bad_number, true); return; }
    var generation = state.generation;
    state.tmp += 1;
    var tmpKey = "tmp:" + state.tmp;
    addItem({
      key: tmpKey, from: "me", kind: "text", at: "", webhook_status: null,
      text: format(S.uploading, { name: file.name }),
    });
    var form = new FormData();
    form.append("file", file, file.name);
    form.append("channel", c.channel);
    var result;
    try {
      result = await api(config.urls.upload, { method: "POST", body: form });
    } catch (e) {
      result = null;
    }
    if (generation !== state.generation) return;
    removeItem(tmpKey);
    if (!result || !result.ok) {
      var error = result ? result.data.error || "HTTP " + result.status : S.network;
      toast(format(S.upload_failed, { error: error }), true);
      return;
    }
    var caption = els.text.value.trim();
    els.text.value = "";
    autoGrow();
    await sendMessage({
      type: result.data.type, media_id: result.data.id, filename: file.name, caption: caption,
    });
  }

  // ------------------------------------------------------------------ polling

  function pollSoon() {
    clearTimeout(state.timer);
    state.timer = setTimeout(poll, 250);
  }

  function schedule() {
    clearTimeout(state.timer);
    if (document.visibilityState === "visible") state.timer = setTimeout(poll, config.pollMs);
  }

  async function poll() {
    clearTimeout(state.timer);
    if (state.inFlight || document.visibilityState !== "visible") return;
    var c = current();
    if (!c) { schedule(); return; }
    var generation = state.generation;
    state.inFlight = true;
    var result = null;
    try {
      var params = new URLSearchParams({ channel: c.channel, wa_id: c.waId, after: state.cursor });
      result = await api(config.urls.messages + "?" + params.toString(), { method: "GET" });
    } catch (e) {
      result = null;
    }
    state.inFlight = false;
    if (generation !== state.generation) { poll(); return; }
    els.online.hidden = !!(result && result.ok);
    if (result && result.ok) {
      (result.data.items || []).forEach(addItem);
      if (result.data.cursor) state.cursor = result.data.cursor;
      renderOutbox(result.data.outbox || []);
      renderRules(result.data.failures || []);
    }
    schedule();
  }

  // ------------------------------------------------------------------ diagnostics

  function renderOutbox(rows) {
    var json = JSON.stringify(rows);
    if (json === state.outboxJson) return;
    state.outboxJson = json;
    els.outbox.textContent = "";
    if (!rows.length) {
      var empty = el("tr");
      var cell = el("td", "muted", S.no_outbox);
      cell.colSpan = 5;
      empty.appendChild(cell);
      els.outbox.appendChild(empty);
      return;
    }
    rows.forEach(function (row) {
      var tr = el("tr");
      var time = new Date(row.created_at);
      tr.appendChild(el("td", null, isNaN(time.getTime()) ? "" : time.toLocaleTimeString(document.documentElement.lang || "id")));
      tr.appendChild(el("td", null, row.type + (row.as_template ? " (" + S.as_template + ")" : "")));
      var statusCell = el("td");
      statusCell.appendChild(el("span", "status status-" + row.status, row.status));
      tr.appendChild(statusCell);
      tr.appendChild(el("td", null, String(row.attempts)));
      var error = row.last_error || "";
      if (row.error_code && error.indexOf(String(row.error_code)) < 0) error = row.error_code + " " + error;
      var errorCell = el("td", "error", error.length > 140 ? error.slice(0, 139) + "…" : error);
      if (error.length > 140) errorCell.title = error;
      tr.appendChild(errorCell);
      els.outbox.appendChild(tr);
    });
  }

  function ruleLabel(rule) {
    var what = rule.kind === "error"
      ? format(S.kind_error, { code: rule.code })
      : rule.kind === "timeout" ? S.kind_timeout : S.kind_http_500;
    return what + " · " + format(S.remaining, { count: rule.remaining });
  }

  function renderRules(rules) {
    var json = JSON.stringify(rules);
    if (json === state.rulesJson) return;
    state.rulesJson = json;
    els.rules.textContent = rules.length ? rules.map(ruleLabel).join("; ") : S.no_rules;
  }

  // ------------------------------------------------------------------ composer

  function autoGrow() {
    els.text.style.height = "auto";
    els.text.style.height = Math.min(els.text.scrollHeight, 120) + "px";
  }

  els.composer.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = els.text.value.trim();
    if (!text) return;
    els.text.value = "";
    autoGrow();
    els.text.focus();
    sendMessage({ type: "text", text: text });
  });

  els.text.addEventListener("input", autoGrow);
  els.text.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      els.composer.requestSubmit();
    }
  });

  els.file.addEventListener("change", function () {
    var file = els.file.files && els.file.files[0];
    els.file.value = "";
    if (file) sendFile(file);
  });

  // ------------------------------------------------------------------ set-up and tools

  els.setup.addEventListener("submit", function (event) { event.preventDefault(); });
  els.channel.addEventListener("change", switchConversation);
  els.waId.addEventListener("change", switchConversation);
  els.waId.addEventListener("input", function () {
    var digits = els.waId.value.replace(/\D/g, "");
    if (digits !== els.waId.value) els.waId.value = digits;
    current(); // marks the field invalid while it is not a number; "change" switches the chat
  });
  els.name.addEventListener("change", save);

  els.sheetClose.addEventListener("click", closeSheet);
  els.sheetBackdrop.addEventListener("click", closeSheet);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closeSheet();
  });

  function syncFailKind() {
    els.failCodeField.hidden = els.failKind.value !== "error";
  }
  els.failKind.addEventListener("change", syncFailKind);

  els.failForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    var count = parseInt(els.failCount.value, 10) || 1;
    var body = { kind: els.failKind.value, count: count };
    if (body.kind === "error") body.code = parseInt(els.failCode.value, 10);
    var result;
    try { result = await postJSON(config.urls.fail, body); } catch (e) { result = null; }
    if (!result || !result.ok) {
      toast(result ? result.data.error || "HTTP " + result.status : S.network, true);
      return;
    }
    renderRules(result.data.failures || []);
    toast(format(S.rule_added, { count: count }));
  });

  els.failClear.addEventListener("click", async function () {
    var result;
    try { result = await postJSON(config.urls.clear, {}); } catch (e) { result = null; }
    if (!result || !result.ok) {
      toast(result ? result.data.error || "HTTP " + result.status : S.network, true);
      return;
    }
    renderRules([]);
    toast(S.rules_cleared);
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") poll();
    else clearTimeout(state.timer);
  });

  // ------------------------------------------------------------------ start

  restore();
  syncFailKind();
  autoGrow();
  switchConversation();
  document.documentElement.dataset.ready = "true";
})();
