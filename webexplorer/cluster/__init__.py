"""The connection to one API server: where it is, how TLS is checked, whose credentials are used.

Everything above this package holds a :class:`Connection` (a :class:`~webexplorer.source.DocumentSource`
with ``request``/``stream`` for try-it and watches) and never learns where a token came from. The parts:

* :mod:`.detect` — choose in-cluster / kubectl proxy / kubeconfig / snapshot and say why;
  :mod:`.connect` — build the connection it chose;
* :mod:`.incluster`, :mod:`.kubeconfig` — read the configuration, files only, no network;
* :mod:`.auth`, :mod:`.execplugin` — credentials: token files re-read, exec plugins cached, 401 → retry;
* :mod:`.tls` — SSL contexts built in memory;
* :mod:`.params` — the frozen record a connection is built from, worked out for each mode;
* :mod:`.connection` — requests through it: redirects, timeouts, errors worded for people
  (:mod:`.client` builds the one kind of HTTP client, :mod:`.replies` holds the answers);
* :mod:`.whoami` — ``SelfSubjectReview``; :mod:`.reviews` — ``SelfSubjectAccessReview`` and
  ``SelfSubjectRulesReview``, typed.
"""

from webexplorer.cluster.client import make_client
from webexplorer.cluster.connect import connect, open_connection
from webexplorer.cluster.connection import Connection
from webexplorer.cluster.detect import DEFAULT_PROXY_ADDRESS, Detection, detect
from webexplorer.cluster.errors import (
    AnswerTimeoutError,
    ClusterError,
    ConfigError,
    CredentialError,
    KubeconfigError,
    TLSVerificationError,
    UnauthorizedError,
    UnreachableError,
)
from webexplorer.cluster.kubeconfig import ContextInfo, Kubeconfig, kubeconfig_paths, load_kubeconfig
from webexplorer.cluster.replies import Reply, StreamReply
from webexplorer.cluster.reviews import (
    AccessDecision,
    ResourceAttributes,
    RulesReview,
    access_review,
    rules_review,
)
from webexplorer.cluster.whoami import Identity, WhoAmI, whoami, whoami_explained

__all__ = [
    "DEFAULT_PROXY_ADDRESS",
    "AccessDecision",
    "AnswerTimeoutError",
    "ClusterError",
    "ConfigError",
    "Connection",
    "ContextInfo",
    "CredentialError",
    "Detection",
    "Identity",
    "Kubeconfig",
    "KubeconfigError",
    "Reply",
    "ResourceAttributes",
    "RulesReview",
    "StreamReply",
    "TLSVerificationError",
    "UnauthorizedError",
    "UnreachableError",
    "WhoAmI",
    "access_review",
    "connect",
    "detect",
    "kubeconfig_paths",
    "load_kubeconfig",
    "make_client",
    "open_connection",
    "rules_review",
    "whoami",
    "whoami_explained",
]
