// Starts Swagger UI on the API docs page (a static file: the CSP allows no inline script).
window.addEventListener("load", function () {
  SwaggerUIBundle({ url: document.body.getAttribute("data-openapi"), dom_id: "#swagger-ui" });
});
