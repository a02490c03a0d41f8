"""Report lists: one FilterSet per list, shared by pages and the API."""
