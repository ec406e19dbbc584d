// Swagger UI for /openapi.json, from files the service serves itself (no CDN; no inline script, so the
// Content-Security-Policy holds on this page too). validatorUrl null: no badge fetched from elsewhere.
window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  layout: 'BaseLayout',
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]
});
