// Layan console: small progressive enhancements (everything also works without JavaScript).
// No inline handlers: the content security policy allows only this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("select[data-autosubmit]") && el.form) el.form.requestSubmit();
  });

  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = button && button.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.closest && target.closest("[data-print]")) { window.print(); return; }
    var link = target.closest && target.closest("a[data-viewer]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var type = link.getAttribute("data-viewer") || "";
    if (type.indexOf("image/") !== 0 && type !== "application/pdf") return;
    event.preventDefault();
    openViewer(link.href, type, link.getAttribute("data-name") || "");
  });

  // A checklist verdict sent with htmx bumps the request's version; when the answer is exactly
  // the next version (our own change, nobody else's), the page's other forms follow it, so the
  // officer's next save is not mistaken for acting on a stale page.
  // (beforeSwap: the form that asked is still in the page, so the event reaches us.)
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    var next = xhr && xhr.getResponseHeader("X-Case-Version");
    var sent = event.detail.elt && event.detail.elt.querySelector("input[name=version]");
    if (!next || !sent || Number(next) !== Number(sent.value) + 1) return;
    document.querySelectorAll("input[name=version]").forEach(function (input) {
      input.value = next;
    });
  });

  // Chats show their newest message.
  function scrollChats() {
    document.querySelectorAll(".messages-list").forEach(function (list) {
      list.scrollTop = list.scrollHeight;
    });
  }
  document.addEventListener("DOMContentLoaded", scrollChats);
  document.addEventListener("htmx:afterSwap", scrollChats);

  // Words come from the page (translated by Django), not from this file.
  function t(key, fallback) { return document.body.dataset[key] || fallback; }

  function button(label, title) {
    var b = document.createElement("button");
    b.type = "button"; b.textContent = label; b.title = title; b.setAttribute("aria-label", title);
    return b;
  }

  // Attachments open in a full-screen viewer: images can be zoomed and rotated (photos of
  // documents arrive sideways), PDFs are shown inline by the browser.
  function openViewer(url, type, name) {
    var dialog = document.createElement("dialog");
    dialog.className = "viewer";
    var bar = document.createElement("div"); bar.className = "viewer-bar";
    var title = document.createElement("span"); title.textContent = name;
    var stage = document.createElement("div"); stage.className = "viewer-stage";
    var close = button("✕", t("tClose", "Close"));
    bar.appendChild(title);
    if (type === "application/pdf") {
      var frame = document.createElement("iframe"); frame.src = url; frame.title = name;
      stage.appendChild(frame);
    } else {
      var img = document.createElement("img"); img.src = url; img.alt = name;
      var scale = 1, turn = 0;
      var apply = function () { img.style.transform = "scale(" + scale + ") rotate(" + turn + "deg)"; };
      var zoomIn = button("+", t("tZoomIn", "Zoom in")), zoomOut = button("−", t("tZoomOut", "Zoom out"));
      var rotate = button("↻", t("tRotate", "Rotate")), reset = button("1:1", t("tReset", "Actual size"));
      zoomIn.addEventListener("click", function () { scale = Math.min(scale * 1.25, 6); apply(); });
      zoomOut.addEventListener("click", function () { scale = Math.max(scale / 1.25, 0.25); apply(); });
      rotate.addEventListener("click", function () { turn = (turn + 90) % 360; apply(); });
      reset.addEventListener("click", function () { scale = 1; turn = 0; apply(); });
      [zoomOut, zoomIn, rotate, reset].forEach(function (b) { bar.appendChild(b); });
      stage.appendChild(img);
    }
    var open = document.createElement("a"); open.href = url; open.target = "_blank";
    open.rel = "noopener"; open.textContent = "↗"; open.title = t("tOpen", "Open in a new tab");
    bar.appendChild(open);
    bar.appendChild(close);
    dialog.appendChild(bar); dialog.appendChild(stage);
    document.body.appendChild(dialog);
    close.addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("close", function () { dialog.remove(); });
    dialog.showModal();
    close.focus();
  }
})();
