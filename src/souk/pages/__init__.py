"""Server-rendered pages: the admin console (/admin), the till (/pos), the demo storefront
(/shop), and their shared plumbing."""
