"""Sessions read from the shared cache and written through to the database (Django's
`cached_db`), carrying on from the database when the cache is unreachable.

Django's `cached_db` already survives a failed cache read or write on save, but not the cache
write after a read from the database, nor the cache lookup when a new session key is made: with
the cache on the broker's Redis, a Redis outage made every signed-in page a server error (the
register page included). Here those fall back to the database, and the cache is used again as
soon as it answers. Use it as SESSION_ENGINE = "common.sessions"."""

from __future__ import annotations

import logging

from django.contrib.sessions.backends import cached_db

log = logging.getLogger(__name__)


class SessionStore(cached_db.SessionStore):
    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:
            data = None
        if data is not None:
            return data
        s = self._get_session_from_db()
        if s is None:
            return {}
        data = self.decode(s.session_data)
        try:
            self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=s.expire_date))
        except Exception as error:
            log.warning("session not cached (the cache is unreachable): %s", error)
        return data

    def exists(self, session_key):
        try:
            if session_key and (self.cache_key_prefix + session_key) in self._cache:
                return True
        except Exception:
            pass
        return super(cached_db.SessionStore, self).exists(session_key)
