"""Serve the app with gunicorn (threads, one process, so one query pool), not Flask's dev server."""

from __future__ import annotations

import threading

from gunicorn.app.base import BaseApplication

from publisher.published import Settings, search_index

from . import create_app


class _Gunicorn(BaseApplication):
    def __init__(self, settings: Settings):
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        self.cfg.set("bind", f"{s.host}:{s.port}")
        self.cfg.set("workers", 1)
        self.cfg.set("worker_class", "gthread")
        self.cfg.set("threads", s.server_threads)
        self.cfg.set("timeout", int(s.query_timeout_s) + 30)
        self.cfg.set("accesslog", "-")
        self.cfg.set("limit_request_line", 8190)  # gunicorn's maximum: room for GET queries; longer ones POST
        self.cfg.set("control_socket_disable", True)  # several servers may run side by side (tests)

    def load(self):
        # The gazetteer and its search index take seconds to build; build them now, beside serving,
        # not in the first request that needs them (which waits for this rather than starting its own).
        threading.Thread(target=search_index, name="gazetteer", daemon=True).start()
        return create_app(self.settings)


def run(settings: Settings) -> None:
    base = settings.base_uri
    print(f"localindex serving on http://{settings.host}:{settings.port}/")
    print(f"  home page:  {base}")
    print(f"  SPARQL:     {base}sparql")
    print(f"  downloads:  {base}downloads/")
    print(
        "  try:        curl -H 'Accept: text/csv' --data-urlencode "
        "'query=SELECT (COUNT(*) AS ?n) WHERE { ?o a <http://purl.org/linked-data/cube#Observation> }' "
        f"{base}sparql"
    )
    _Gunicorn(settings).run()
