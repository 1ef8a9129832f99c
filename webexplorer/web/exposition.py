"""What ``/metrics`` reports, in the Prometheus text format (``prometheus-client``).

Why ``prometheus-client``: it is the reference implementation of the exposition format, has no
dependencies, and its counters and histograms cost a lock and an addition per observation. The metrics
are per *process* (one replica), which is what Prometheus expects: it scrapes every pod and sums.

Two kinds of figures, kept apart on purpose:

* **Events**, counted as they happen, in :data:`REGISTRY`: requests by route template and status
  (``web/metrics.py``'s middleware), and requests to the API server by method and status class
  (:func:`observe_upstream`, which the explorer hands to its :class:`~webexplorer.cluster.Connection` as
  its ``observer``; the connection layer itself knows nothing of metrics).
* **State**, read when scraped, by :class:`ExplorerCollector`: catalog refreshes (counted by the
  :class:`~webexplorer.catalog.CatalogStore` itself), the catalog's generation and readiness, and the open
  try-it watches (``WatchRegistry.open_count``). Reading state at scrape time means nothing has to
  remember to increment or decrement a gauge, so the figures cannot drift from the truth, and several
  apps in one process (the tests) never share or leak state.

Label values are bounded: route *templates* (``/g/{group}``), never raw paths; method names from a fixed
set; status codes; status classes. A visitor cannot create a new time series by inventing URLs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from webexplorer import __version__
from webexplorer.explorer import Explorer
from webexplorer.web.readiness import readiness

__all__ = [
    "CONTENT_TYPE_LATEST",
    "HTTP_METHODS",
    "REGISTRY",
    "ExplorerCollector",
    "exposition",
    "observe_request",
    "observe_upstream",
]

# no "_created" twin per series: half the output, and nothing a dashboard uses
disable_created_metrics()  # type: ignore[no-untyped-call]
REGISTRY = CollectorRegistry(auto_describe=True)
for _collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
    REGISTRY.register(_collector)  # process memory, CPU, open fds, Python GC: the basics of any job

#: methods kept as themselves in labels; anything else a client invents is counted as "other"
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

#: page latencies: most pages render in milliseconds, big schema pages and raw documents take longer
_PAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: API server round trips, from a cached discovery 304 to a multi-megabyte OpenAPI document
_UPSTREAM_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter(
    "webexplorer_http_requests",
    "HTTP requests answered, by route template, method and status code.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "webexplorer_http_request_duration_seconds",
    "Time from a request reaching the app to the end of its answer, by route template "
    "(streamed answers such as watches count until they end).",
    ["route"],
    buckets=_PAGE_BUCKETS,
    registry=REGISTRY,
)
UPSTREAM_DURATION = Histogram(
    "webexplorer_upstream_request_duration_seconds",
    "Requests to the API server: time to the whole answer (streams: to the response headers), by method "
    "and status class ('2xx', '4xx', ...; 'error' when no answer came).",
    ["method", "status"],
    buckets=_UPSTREAM_BUCKETS,
    registry=REGISTRY,
)


def method_label(method: str) -> str:
    return method if method in HTTP_METHODS else "other"


#: the labelled children of the two request metrics, by (route, method, status): ``labels()`` checks
#: and locks on every call, this is one dict lookup per request. As bounded as the labels themselves
#: (route templates, known methods, status codes).
_REQUEST_CHILDREN: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request (called by the ASGI middleware in ``web/metrics.py``)."""
    key = (route, method_label(method), status)  # the label, never the raw method: any string can come
    children = _REQUEST_CHILDREN.get(key)
    if children is None:
        children = (HTTP_REQUESTS.labels(key[0], key[1], str(status)), HTTP_DURATION.labels(route))
        _REQUEST_CHILDREN[key] = children
    children[0].inc()
    children[1].observe(seconds)


def observe_upstream(method: str, status: int | None, seconds: float) -> None:
    """A :data:`~webexplorer.cluster.connection.RequestObserver`: one request to the API server."""
    status_class = "error" if status is None else f"{status // 100}xx"
    UPSTREAM_DURATION.labels(method_label(method), status_class).observe(seconds)


class _Watches(Protocol):
    @property
    def open_count(self) -> int: ...


class ExplorerCollector:
    """Figures read from one app's state at scrape time (see the module docstring)."""

    def __init__(self, explorer: Explorer, watches: _Watches) -> None:
        self.explorer = explorer
        self.watches = watches

    def collect(self) -> Iterator[Metric]:
        explorer = self.explorer
        info = GaugeMetricFamily(
            "webexplorer_info",
            "The explorer's version and how it reaches the API.",
            labels=["version", "mode"],
        )
        mode = explorer.connection.mode if explorer.connection is not None else "snapshot"
        info.add_metric([__version__, mode], 1)
        yield info

        store = explorer.store
        refreshes = CounterMetricFamily(
            "webexplorer_catalog_refreshes",
            "Checks of the API server for API changes (CRDs), by result: 'changed' swapped in a new "
            "catalog, 'unchanged' found nothing new, 'failed' got no usable answer.",
            labels=["result"],
        )
        counts = store.refresh_counts
        for result in ("changed", "unchanged", "failed"):
            refreshes.add_metric([result], counts.get(result, 0))
        yield refreshes
        yield GaugeMetricFamily(
            "webexplorer_catalog_generation",
            "How many catalogs have been built since start (grows by one each time the API changes).",
            value=store.generation,
        )
        yield GaugeMetricFamily(
            "webexplorer_catalog_watching",
            "1 while API changes are learnt from watches on CRDs and APIServices, 0 while polling.",
            value=1 if store.watching else 0,
        )
        if explorer.copies is not None:
            yield GaugeMetricFamily(
                "webexplorer_document_copies_bytes",
                "Bytes held as the last good copies of documents, for raw pages in an outage (bounded).",
                value=explorer.copies.bytes,
            )
        yield GaugeMetricFamily(
            "webexplorer_ready", "1 when /readyz answers ok.", value=1 if readiness(explorer)[0] else 0
        )
        yield GaugeMetricFamily(
            "webexplorer_watches_open",
            "Try-it watches open now (streamed to a browser, or registered and about to be).",
            value=self.watches.open_count,
        )


def exposition(explorer: Explorer, watches: _Watches) -> bytes:
    """The whole ``/metrics`` body: this process's events, then this app's state."""
    return generate_latest(REGISTRY) + generate_latest(ExplorerCollector(explorer, watches))
