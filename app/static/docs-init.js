// Swagger UI initialisation (separate file: the CSP forbids inline scripts).
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/v1/openapi.json",
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: true,
    requestInterceptor: function (req) {
      var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
      if (m) { req.headers["X-CSRFToken"] = decodeURIComponent(m[1]); }
      return req;
    }
  });
});
