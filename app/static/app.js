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

  window.SPIA = window.SPIA || {};
})();
