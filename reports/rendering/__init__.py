"""The report's renderers: everything reads one snapshot (decision 010), never the database."""
