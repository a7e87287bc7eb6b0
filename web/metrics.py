"""Prometheus metrics of the web process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

registry = CollectorRegistry(auto_describe=True)

votes_accepted = Counter("machmal_votes_accepted", "Votes accepted (202).", registry=registry)
votes_rejected = Counter(
    "machmal_votes_rejected", "Votes refused, by reason.", ["reason"], registry=registry
)
tally_lag = Gauge(
    "machmal_tally_lag_votes", "Votes accepted but not yet tallied.", registry=registry
)
queue_depth = Gauge(
    "machmal_queue_depth", "Jobs waiting in an RQ queue.", ["queue"], registry=registry
)
redis_up = Gauge(
    "machmal_redis_up", "1 when Redis answered the last health check.", registry=registry
)
