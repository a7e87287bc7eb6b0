"""The cluster suite (run with MACHMAL_TEST_CLUSTER=1) and its embedded Redis Cluster."""

from tests.cluster.embedded import EmbeddedCluster

__all__ = ["EmbeddedCluster"]
