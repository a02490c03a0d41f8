"""Container healthcheck: GET /healthz with the first ALLOWED_HOSTS name as Host header, so
Django's host check passes whatever hosts are configured."""

import os
import sys
import urllib.request

hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
host = next((h.lstrip(".") for h in hosts if h != "*"), "localhost")
url = os.environ.get("HEALTHCHECK_URL", "http://127.0.0.1:8000/healthz")
request = urllib.request.Request(url, headers={"Host": host})
try:
    with urllib.request.urlopen(request, timeout=5) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception as error:  # noqa: BLE001 - any failure is unhealthy
    print(error, file=sys.stderr)
    sys.exit(1)
