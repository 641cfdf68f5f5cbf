"""Staff accounts of the admin console: roles, argon2 passwords, server-side sessions."""
