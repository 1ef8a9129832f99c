"""The sandbox node's pod network on this machine: one Linux bridge, its address, and the CNI config.

Pods live in network namespaces that containerd creates; the ``bridge`` CNI plugin plugs each into the
bridge made here with a veth pair and an address from the pod subnet (``host-local`` IPAM). The bridge's
own address is the pods' gateway and the address kube-apiserver and the kubelet listen on, because a pod
cannot reach the host's loopback. Nothing is routed off the machine: IP forwarding is left as the host
has it, and a ``FORWARD`` rule drops anything from the bridge to another interface, so traffic of a pod
can only reach the host and the other pods.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

IP = "/usr/sbin/ip"
IPTABLES = "/usr/sbin/iptables"
IP6TABLES = "/usr/sbin/ip6tables"


class HostNetworkError(Exception):
    """The bridge could not be set up; the message names the command and its error."""


def _run(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(list(argv), capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise HostNetworkError(f"`{' '.join(argv)}` failed: {(result.stderr or result.stdout).strip()}")
    return result


@dataclass(frozen=True)
class PodNetwork:
    """A bridge and its pod subnet. The defaults are unlikely to collide with anything on a dev machine."""

    bridge: str = "webexp0"
    subnet: str = "10.217.0.0/24"

    @property
    def gateway(self) -> str:
        """The bridge's address: first of the subnet; the node's address and the API server's."""
        return str(next(ipaddress.ip_network(self.subnet).hosts()))

    def _forward_rule(self) -> list[str]:
        return ["FORWARD", "-i", self.bridge, "!", "-o", self.bridge, "-j", "DROP"]

    def create(self) -> None:
        """Make the bridge (replacing one left by a killed run) with the gateway address, up."""
        self.delete()
        network = ipaddress.ip_network(self.subnet)
        routes = _run(IP, "-4", "-j", "route", "show", "table", "main").stdout
        for route in json.loads(routes or "[]"):
            dst = route.get("dst", "")
            if dst != "default" and ipaddress.ip_network(dst, strict=False).overlaps(network):
                raise HostNetworkError(f"the pod subnet {self.subnet} overlaps this machine's route {route}")
        _run(IP, "link", "add", self.bridge, "type", "bridge")
        _run(IP, "addr", "add", f"{self.gateway}/{network.prefixlen}", "dev", self.bridge)
        _run(IP, "link", "set", self.bridge, "up")
        _run(IPTABLES, "-w", "-I", *self._forward_rule())

    def delete(self) -> None:
        """Remove the bridge and the FORWARD rule; idempotent."""
        while _run(IPTABLES, "-w", "-D", *self._forward_rule(), check=False).returncode == 0:
            pass
        if _run(IP, "link", "show", self.bridge, check=False).returncode == 0:
            _run(IP, "link", "delete", self.bridge)

    def cni_config(self, ipam_dir: Path) -> dict[str, Any]:
        """The CNI network list containerd reads: bridge + host-local, its state in ``ipam_dir``."""
        return {
            "cniVersion": "1.0.0",
            "name": "webexplorer-node",
            "plugins": [
                {
                    "type": "bridge",
                    "bridge": self.bridge,
                    "isGateway": True,
                    "ipMasq": False,  # nothing leaves the machine, so no address to hide
                    "hairpinMode": True,
                    "ipam": {
                        "type": "host-local",
                        "ranges": [[{"subnet": self.subnet, "gateway": self.gateway}]],
                        "routes": [{"dst": "0.0.0.0/0"}],
                        "dataDir": str(ipam_dir),
                    },
                }
            ],
        }


def remove_kube_chains() -> None:
    """Remove the ``KUBE-*`` iptables chains (and the jumps to them) of every table, IPv4 and IPv6.

    ``kube-proxy --cleanup`` removes kube-proxy's own; the kubelet leaves ``KUBE-FIREWALL`` (which drops
    connections to 127.0.0.0/8 from other sources), ``KUBE-KUBELET-CANARY`` and ``KUBE-IPTABLES-HINT``
    behind, and a shared machine should not keep them after the node is gone.
    """
    for binary in (IPTABLES, IP6TABLES):
        for table in ("filter", "nat", "mangle"):
            listing = _run(binary, "-w", "-t", table, "-S", check=False).stdout.splitlines()
            for rule in listing:
                words = rule.split()
                jumps_to_kube = "-j" in words and words[words.index("-j") + 1].startswith("KUBE-")
                if words[:1] == ["-A"] and jumps_to_kube and not words[1].startswith("KUBE-"):
                    _run(binary, "-w", "-t", table, "-D", *words[1:], check=False)
            chains = [rule.split()[1] for rule in listing if rule.startswith("-N KUBE-")]
            for chain in chains:
                _run(binary, "-w", "-t", table, "-F", chain, check=False)
            for chain in chains:
                _run(binary, "-w", "-t", table, "-X", chain, check=False)
