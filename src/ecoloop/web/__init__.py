"""The web shell: FastAPI app, server-rendered pages, the JSON API, authentication and CSRF."""
