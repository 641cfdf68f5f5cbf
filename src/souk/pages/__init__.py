"""Server-rendered pages: the admin console (/admin) and their shared plumbing."""
