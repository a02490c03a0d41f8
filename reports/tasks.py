"""Report tasks: thin (tenant id and ids in, open the scope, call a service)."""
