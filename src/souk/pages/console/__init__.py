"""The admin console at /admin: server-rendered screens over the same services as the API."""
