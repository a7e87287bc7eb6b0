// Kept out of the page so the CSP needs no 'unsafe-inline'.
window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
