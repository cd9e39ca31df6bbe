"""Container health check for a web replica: gunicorn answers HTTP below 500.

Sent as if through the TLS proxy (X-Forwarded-Proto: https), so SECURE=1 doesn't redirect;
a 400 for a host outside ALLOWED_HOSTS still means the process is up and serving Django."""

import sys
import urllib.error
import urllib.request

url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000/login/"
request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
try:
    status = urllib.request.urlopen(request, timeout=4).status
except urllib.error.HTTPError as error:
    status = error.code
except OSError as error:
    print(f"unhealthy: {error}")
    sys.exit(1)
sys.exit(0 if status < 500 else 1)
