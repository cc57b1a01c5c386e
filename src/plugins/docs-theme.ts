/**
 * The stylesheet of /docs, loaded after Swagger UI's own (served from 'self' as
 * /docs/static/theme/butaca.css). It makes the page Butaca's, hides from the Authorize dialog
 * what a student cannot use there, and fixes what axe-core finds that a stylesheet can fix
 * (test/e2e/docs.test.ts; the rest is listed there). Selectors follow Swagger UI's markup, which
 * that test pins down.
 */
export const DOCS_CSS = `
/* Butaca's mark and name instead of Swagger's logo (an SVG, hidden). */
.swagger-ui .topbar .link svg { display: none; }
.swagger-ui .topbar .link { gap: 10px; color: #fff; font: 700 1.25rem/40px sans-serif; }
.swagger-ui .topbar .link::before {
  content: ""; width: 32px; height: 32px; flex: none;
  background: url("favicon.svg") center / contain no-repeat;
}
.swagger-ui .topbar .link::after { content: "Butaca API"; }

/* The Authorize dialog: the OAuth2 password flow needs a username and a password. Butaca has no
   client credentials (nor anywhere to send them), and no scopes to pick. */
.swagger-ui .auth-container .wrapper:has(> label[for="password_type"]),
.swagger-ui .auth-container .wrapper:has(> label[for="client_id_password"]),
.swagger-ui .auth-container .wrapper:has(> label[for="client_secret_password"]),
.swagger-ui .auth-container .scope-def { display: none; }
/* The session cookie stays in the document for other clients, but a browser never sends a cookie
   typed in here (scripts cannot set Cookie): this page sends the web client's own cookie anyway,
   while you are logged in at /. */
.swagger-ui .auth-container:has(#api_key_value) { display: none; }

/* One relative server: nothing to choose, and Swagger UI's select has no accessible name. */
.swagger-ui .scheme-container .schemes > .schemes-server-container { display: none; }

/* The dialog's × button holds only an SVG: a name for screen readers, out of sight. Chromium's
   accessibility tree takes it; axe-core does not read generated content (see the test). */
.swagger-ui .dialog-ux .modal-ux-header .close-modal::after {
  content: "Close"; position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%);
}

/* Text contrast of at least 4.5:1 (WCAG 1.4.3): Swagger UI's colours, darkened within their hue. */
.swagger-ui .topbar .download-url-wrapper .download-url-button { background: #3d7a28; }
.swagger-ui .info .title small { background: #5b6170; }
.swagger-ui .info .title small.version-stamp { background: #4d6b00; }
.swagger-ui .info a, .swagger-ui .info .url { color: #1f5fae; }
.swagger-ui .btn.authorize { color: #1d7a4e; border-color: #1d7a4e; }
.swagger-ui .btn.authorize svg { fill: #1d7a4e; color: #1d7a4e; }
.swagger-ui .opblock.opblock-get .opblock-summary-method { background: #2a6fb8; }
.swagger-ui .opblock.opblock-post .opblock-summary-method { background: #1d7a4e; }
.swagger-ui .opblock.opblock-put .opblock-summary-method { background: #a85d00; }
.swagger-ui .opblock.opblock-patch .opblock-summary-method { background: #17806a; }
.swagger-ui .opblock.opblock-delete .opblock-summary-method { background: #c42b2b; }
`;
