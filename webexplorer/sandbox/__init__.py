"""The real test control plane: etcd + kube-apiserver + kube-controller-manager built from source.

See :mod:`webexplorer.sandbox.binaries` (getting the binaries), :mod:`webexplorer.sandbox.controlplane`
(running them) and :mod:`webexplorer.sandbox.command` (``webexplorer sandbox``).
"""

from webexplorer.ports import free_port, free_ports
from webexplorer.sandbox.binaries import (
    ETCD_VERSION,
    KUBERNETES_VERSION,
    Binaries,
    BuildError,
    ensure_binaries,
)
from webexplorer.sandbox.controlplane import ControlPlane, ControlPlaneError

__all__ = [
    "ETCD_VERSION",
    "KUBERNETES_VERSION",
    "Binaries",
    "BuildError",
    "ControlPlane",
    "ControlPlaneError",
    "ensure_binaries",
    "free_port",
    "free_ports",
]
