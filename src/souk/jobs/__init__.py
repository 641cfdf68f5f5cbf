"""Background jobs: long operations (a catalog import, a bulk code generation) run by the
server's job runner, with their progress readable while they run."""
