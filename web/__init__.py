"""FastAPI app: JSON API, Jinja2 pages, SSE, QR codes, static assets."""
