// SPIA client behaviour. No inline scripts (CSP): everything is wired here through data- attributes.
(function () {
  "use strict";

  // Confirmation before destructive actions: <button data-confirm="...">
  document.addEventListener("click", function (ev) {
    var el = ev.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) {
      ev.preventDefault();
      ev.stopImmediatePropagation();
    }
  }, true);

  // htmx: carry the CSRF token on every request (also set through hx-headers on <body>).
  document.addEventListener("htmx:configRequest", function (ev) {
    var token = document.body.getAttribute("data-csrf");
    if (token) { ev.detail.headers["X-CSRFToken"] = token; }
  });

  // Auto-submit filters: <form data-autosubmit>
  document.addEventListener("change", function (ev) {
    var form = ev.target.closest("form[data-autosubmit]");
    if (form) { form.requestSubmit ? form.requestSubmit() : form.submit(); }
  });

  // ---- Editor autosave: visible state, unsaved-changes warning, retry after a network drop ----
  var dirty = false;
  var retryTimer = null;

  function statusEl() { return document.getElementById("save-status"); }
  function setStatus(text, cls) {
    var el = statusEl();
    if (!el) { return; }
    el.textContent = text;
    el.className = "save-status " + (cls || "");
  }
  function isAutosave(ev) {
    var elt = ev.detail && ev.detail.elt;
    return elt && elt.matches && elt.matches("form[data-autosave]");
  }

  document.addEventListener("input", function (ev) {
    if (ev.target.closest("form[data-autosave]")) {
      dirty = true;
      setStatus("未保存の変更があります", "saving");
    }
  });

  document.addEventListener("htmx:beforeRequest", function (ev) {
    if (ev.detail.elt.closest && ev.detail.elt.closest("form[data-autosave]")) { setStatus("保存中…", "saving"); }
  });

  document.addEventListener("htmx:afterRequest", function (ev) {
    if (!(ev.detail.elt.closest && ev.detail.elt.closest("form[data-autosave]"))) { return; }
    var xhr = ev.detail.xhr;
    if (xhr && xhr.status >= 200 && xhr.status < 300) {
      dirty = false;
      document.querySelectorAll("form[data-autosave] .field-error").forEach(function (p) {
        if (!p.closest(".error-summary")) { p.textContent = ""; }
      });
    }
  });

  document.addEventListener("htmx:sendError", function (ev) {
    if (!isAutosave(ev) && !(ev.detail.elt.closest && ev.detail.elt.closest("form[data-autosave]"))) { return; }
    var form = document.querySelector("form[data-autosave]");
    setStatus("通信できません。入力内容はこの画面に残っています。5秒後に再試行します…", "failed");
    if (retryTimer) { clearTimeout(retryTimer); }
    retryTimer = setTimeout(function () {
      retryTimer = null;
      if (form && window.htmx) { window.htmx.trigger(form, "retry"); }
    }, 5000);
  });

  window.addEventListener("beforeunload", function (ev) {
    if (dirty) { ev.preventDefault(); ev.returnValue = ""; return ""; }
  });
  // Submitting the form normally (保存する button without htmx) is not "leaving with unsaved text".
  document.addEventListener("submit", function (ev) {
    if (ev.target.matches("form[data-autosave]")) { dirty = false; }
  });

  // Keyboard and screen readers: after 「＋ 措置を追加」 or a library 挿入 the form is swapped; focus the new
  // measure (the last one of that list) instead of letting focus fall to <body>.
  var focusNew = null;
  document.addEventListener("htmx:beforeRequest", function (ev) {
    var elt = ev.detail.elt;
    var trigger = ev.detail.requestConfig && ev.detail.requestConfig.triggeringEvent;
    var button = (elt && elt.getAttribute && elt.getAttribute("data-focus-new")) ? elt :
      (trigger && trigger.submitter && trigger.submitter.getAttribute("data-focus-new") ? trigger.submitter : null);
    focusNew = button ? button.getAttribute("data-focus-new") : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!focusNew) { return; }
    var name = focusNew;
    focusNew = null;
    var fields = document.querySelectorAll("textarea[name]");
    var last = null;
    fields.forEach(function (t) { if (t.getAttribute("name") === name) { last = t; } });
    if (last) { last.focus(); }
  });

  // Related-item picker: filter the options by every word typed (path text, file name included), open the
  // sections and files that match, and say how many are checked.
  function pickerUpdate(picker) {
    var input = picker.querySelector("[data-picker-search]");
    var words = (input ? input.value : "").toLowerCase().split(/\s+/).filter(Boolean);
    var any = false;
    picker.querySelectorAll(".picker-section").forEach(function (section) {
      var shown = 0;
      section.querySelectorAll(".picker-option").forEach(function (opt) {
        var path = (opt.getAttribute("data-path") || "").toLowerCase();
        var ok = words.every(function (w) { return path.indexOf(w) >= 0; });
        opt.hidden = !ok;
        if (ok) { shown += 1; }
      });
      section.querySelectorAll(".picker-group").forEach(function (group) {
        group.hidden = !group.querySelector(".picker-option:not([hidden])");
      });
      section.querySelectorAll(".picker-file").forEach(function (file) {
        var hit = !!file.querySelector(".picker-option:not([hidden])");
        file.hidden = !hit;
        if (words.length && hit) { file.open = true; }
      });
      section.hidden = shown === 0;
      if (words.length && shown) { section.open = true; }
      if (shown) { any = true; }
    });
    var none = picker.querySelector("[data-picker-none]");
    if (none) { none.hidden = any; }
    var status = picker.querySelector("[data-picker-status]");
    if (status) {
      var n = picker.querySelectorAll("input[type=checkbox]:checked, input[type=radio]:checked").length;
      status.textContent = "選択中 " + n + "件" + (words.length ? "(検索で絞り込み中)" : "");
    }
  }
  document.addEventListener("input", function (ev) {
    var picker = ev.target.closest && ev.target.closest("[data-item-picker]");
    if (picker && ev.target.matches("[data-picker-search]")) { pickerUpdate(picker); }
  });
  document.addEventListener("change", function (ev) {
    var picker = ev.target.closest && ev.target.closest("[data-item-picker]");
    if (picker) { pickerUpdate(picker); }
  });
  // Enter in the search box filters; it must not submit the form
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && ev.target.matches && ev.target.matches("[data-picker-search]")) { ev.preventDefault(); }
  });

  // ---- 見直し: each answer (dropdown, memo) autosaves on its own; its row shows the state ----
  var reviewDirty = {};
  function reviewRow(el) { return el && el.closest ? el.closest("tr[id^='check-']") : null; }
  function rowStatus(row, text, cls) {
    var el = row && document.getElementById("saved-" + row.id.slice(6));
    if (!el) { return; }
    el.textContent = text;
    el.className = "save-status row-status " + (cls || "");
  }
  document.addEventListener("input", function (ev) {
    if (!ev.target.matches || !ev.target.matches("[data-review-field]")) { return; }
    var row = reviewRow(ev.target);
    reviewDirty[row.id] = true;
    rowStatus(row, "未保存", "saving");
  });
  document.addEventListener("change", function (ev) {
    if (ev.target.matches && ev.target.matches("select[data-review-field]")) {
      reviewRow(ev.target).setAttribute("data-status", ev.target.value);
    }
  });
  document.addEventListener("htmx:beforeRequest", function (ev) {
    var elt = ev.detail.elt;
    if (elt.matches && elt.matches("[data-review-field]")) { rowStatus(reviewRow(elt), "保存中…", "saving"); }
  });
  document.addEventListener("htmx:afterRequest", function (ev) {
    var elt = ev.detail.elt;
    if (elt.matches && elt.matches("[data-review-field]") && ev.detail.xhr && ev.detail.xhr.status < 300) {
      var row = reviewRow(elt);
      if (row) { delete reviewDirty[row.id]; }
    }
  });
  document.addEventListener("htmx:sendError", function (ev) {
    var elt = ev.detail.elt;
    if (elt.matches && elt.matches("[data-review-field]")) {
      rowStatus(reviewRow(elt), "通信できません(未保存)。接続を確かめて、もう一度選び直すか「保存する」を押してください。", "failed");
    }
  });
  window.addEventListener("beforeunload", function (ev) {
    if (Object.keys(reviewDirty).length) { ev.preventDefault(); ev.returnValue = ""; return ""; }
  });
  document.addEventListener("submit", function (ev) {
    if (ev.target.matches(".review-group-form")) { reviewDirty = {}; }
  });

  // PDF export with a visible state (issue 14 item 14): LibreOffice takes seconds, so the page says it is working,
  // then hands the file over; a refusal (503 while converters are busy, 403, 409) is shown in words. Without
  // JavaScript the form downloads as before.
  function exportName(resp) {
    var cd = resp.headers.get("Content-Disposition") || "";
    var m = cd.match(/filename\*=UTF-8''([^;]+)/i);
    if (m) { try { return decodeURIComponent(m[1]); } catch (e) { /* fall through */ } }
    m = cd.match(/filename="([^"]+)"/i);
    return m ? m[1] : "export.pdf";
  }
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.matches || !form.matches("form.export-form")) { return; }
    var fmt = form.querySelector("[name=format]");
    if (!fmt || fmt.value !== "pdf" || !window.fetch) { return; }
    ev.preventDefault();
    var status = form.querySelector("[data-export-status]");
    var button = form.querySelector("button[type=submit]");
    var started = Date.now();
    function say(text, cls) { status.textContent = text; status.className = "export-status " + (cls || ""); }
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    say("PDF を作成しています(数秒かかります)…", "working");
    var ticker = window.setInterval(function () {
      say("PDF を作成しています… " + Math.round((Date.now() - started) / 1000) + " 秒", "working");
    }, 1000);
    var url = form.getAttribute("action") + "?" + new URLSearchParams(new FormData(form)).toString();
    fetch(url, { credentials: "same-origin" }).then(function (resp) {
      if (!resp.ok) {
        return resp.text().then(function (body) {
          var doc = new DOMParser().parseFromString(body, "text/html");
          var msg = doc.querySelector(".error-message");
          throw new Error(msg ? msg.textContent : ("PDF を作成できませんでした(" + resp.status + ")。"));
        });
      }
      return resp.blob().then(function (blob) {
        var a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = exportName(resp);
        document.body.appendChild(a);
        a.click();
        a.remove();
        window.setTimeout(function () { URL.revokeObjectURL(a.href); }, 60000);
        say("PDF を作成しました(" + ((Date.now() - started) / 1000).toFixed(1) + " 秒): " + a.download, "done");
      });
    }).catch(function (err) {
      say(err.message || "PDF を作成できませんでした。通信を確かめて、もう一度お試しください。", "failed");
    }).finally(function () {
      window.clearInterval(ticker);
      button.disabled = false;
      form.removeAttribute("aria-busy");
    });
  });

  window.SPIA = { isDirty: function () { return dirty || Object.keys(reviewDirty).length > 0; } };
})();
