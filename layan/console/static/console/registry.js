// Layan console: fill the data-entry form from the population registry.
// The officer types a NIK or a KK number in "Cari di data kependudukan"; the registry's values
// (a KK's members into the table's rows) go into the empty fields, typed values stay, and every
// field whose value differs from the registry's is marked with a class and a text marker. The
// same form works without JavaScript (the server fills the page). No inline code: the content
// security policy allows only this site's files; words come from the page (translated there).
(function () {
  "use strict";

  var box = document.getElementById("registry-lookup");
  var dataForm = document.querySelector("form.data-form");
  if (!box || !dataForm || !window.fetch) return;
  var lookupForm = document.getElementById("registry-lookup-form");
  var status = document.getElementById("registry-lookup-status");
  var marks = 0;

  function t(key, fallback) { return box.dataset[key] || fallback; }

  function same(a, b) {
    var clean = function (v) { return String(v == null ? "" : v).trim().toLowerCase().replace(/\s+/g, " "); };
    return clean(a) === clean(b);
  }

  // A registry value as the element's own value: for a list, the option whose value or label it is.
  function asValue(el, value) {
    value = value == null ? "" : String(value);
    if (el.tagName !== "SELECT") return { value: value, label: value };
    for (var i = 0; i < el.options.length; i++) {
      var option = el.options[i];
      if (option.value && (same(option.value, value) || same(option.text, value))) {
        return { value: option.value, label: option.text };
      }
    }
    return { value: value, label: value };
  }

  function holderOf(el) { return el.closest("td") || el.closest(".field"); }

  // Mark an element whose value differs from the registry's (both present, not the same).
  function mark(el) {
    var registry = el.getAttribute("data-registry");
    if (registry === null) return false;
    var holder = holderOf(el);
    if (!holder) return false;
    var differs = el.value !== "" && registry !== "" && !same(el.value, registry);
    holder.classList.toggle("differs-registry", differs);
    var marker = holder.querySelector(".registry-mark");
    if (differs) {
      if (!marker) {
        marker = document.createElement("small");
        marker.className = "registry-mark";
        marker.id = "mark-" + (++marks);
        el.insertAdjacentElement("afterend", marker);
      }
      marker.textContent = "\u2260 SIAK: " + (el.getAttribute("data-registry-label") || registry);
      if (marker.id) el.setAttribute("aria-describedby", marker.id);
    } else if (marker) {
      marker.remove();
      el.removeAttribute("aria-describedby");
    }
    return differs;
  }

  // Put the registry's value into an element: an empty one takes it, a typed one stays.
  function put(el, value, counts) {
    var wanted = asValue(el, value);
    el.setAttribute("data-registry", wanted.value);
    el.setAttribute("data-registry-label", wanted.label);
    if (el.value === "" && wanted.value !== "") {
      el.value = wanted.value;
      if (el.tagName === "SELECT" && el.value !== wanted.value) el.value = "";
      else counts.filled += 1;
    }
    if (mark(el)) counts.differs += 1;
  }

  function field(name) { return dataForm.querySelector('[name="' + CSS.escape(name) + '"]'); }

  function rowEmpty(code, index, columns) {
    return columns.every(function (column) {
      var el = field(code + "-" + index + "-" + column);
      return !el || el.value === "";
    });
  }

  // A new row at the end of a table, like its last one with the inputs emptied.
  function addRow(code, count) {
    var fieldset = dataForm.querySelector('fieldset[data-table="' + CSS.escape(code) + '"]');
    if (!fieldset) return false;
    var max = Number(fieldset.getAttribute("data-max-rows") || "15");
    var body = fieldset.querySelector("tbody");
    var last = body && body.lastElementChild;
    if (!last || count.value >= max) return false;
    var row = last.cloneNode(true);
    var index = Number(count.value);
    var pattern = new RegExp("^" + code.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "-\\d+-");
    row.querySelectorAll("input, select").forEach(function (el) {
      el.name = el.name.replace(pattern, code + "-" + index + "-");
      var label = el.getAttribute("aria-label");
      if (label) el.setAttribute("aria-label", label.replace(/\d+$/, String(index + 1)));
      el.value = "";
      el.removeAttribute("data-registry");
      el.removeAttribute("data-registry-label");
      el.removeAttribute("aria-describedby");
    });
    row.querySelectorAll(".registry-mark").forEach(function (m) { m.remove(); });
    row.querySelectorAll(".differs-registry").forEach(function (c) { c.classList.remove("differs-registry"); });
    if (row.firstElementChild) row.firstElementChild.textContent = String(index + 1);
    body.appendChild(row);
    count.value = String(index + 1);
    return true;
  }

  function fillTable(code, rows, nikColumn, counts) {
    var count = field(code + "-rows");
    if (!count) return;
    var used = {};
    rows.forEach(function (values) {
      var columns = Object.keys(values);
      var total = Number(count.value), index = -1, i;
      if (nikColumn && values[nikColumn]) {
        for (i = 0; i < total; i++) {
          var nik = field(code + "-" + i + "-" + nikColumn);
          if (!used[i] && nik && same(nik.value, values[nikColumn])) { index = i; break; }
        }
      }
      if (index < 0) {
        for (i = 0; i < total; i++) {
          if (!used[i] && rowEmpty(code, i, columns)) { index = i; break; }
        }
      }
      if (index < 0) {
        if (!addRow(code, count)) return;
        index = Number(count.value) - 1;
      }
      used[index] = true;
      columns.forEach(function (column) {
        var el = field(code + "-" + index + "-" + column);
        if (el) put(el, values[column], counts);
      });
    });
  }

  function fill(answer) {
    var counts = { filled: 0, differs: 0 };
    var values = answer.values || {}, match = answer.match || {};
    Object.keys(values).forEach(function (code) {
      if (Array.isArray(values[code])) fillTable(code, values[code], match[code] || "", counts);
      else {
        var el = field(code);
        if (el) put(el, values[code], counts);
      }
    });
    return counts;
  }

  function say(text) { status.textContent = text; }

  lookupForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var by = lookupForm.elements.by.value, number = lookupForm.elements.number.value.trim();
    var params = new URLSearchParams();
    params.set(by === "kk" ? "kk" : "nik", number);
    say(t("tBusy", "…"));
    fetch(box.getAttribute("data-url") + "?" + params.toString(), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      if (!result.ok) { say(result.body.message || t("tFailed", "")); return; }
      if (!result.body.found) { say(t("tNone", "")); return; }
      var counts = fill(result.body);
      say(t("tFilled", "").replace("{filled}", counts.filled).replace("{differs}", counts.differs));
    }).catch(function () { say(t("tFailed", "")); });
  });

  // A value changed after the look-up is compared with the registry's again.
  function recheck(event) {
    var el = event.target;
    if (el && el.hasAttribute && el.hasAttribute("data-registry")) mark(el);
  }
  dataForm.addEventListener("input", recheck);
  dataForm.addEventListener("change", recheck);
})();
