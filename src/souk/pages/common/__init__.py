"""What every page shares: templates, the layout, static files, headers, CSRF."""
