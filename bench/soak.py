"""Soak and faults: 50 visitors browsing and trying requests while the API server dies and the token rotates.

    python -m bench.soak [--minutes 10] [--clients 50] [--outage 10] [--quick]

The explorer runs as it does in a pod: in-cluster mode, its service account's token in a directory
laid out by the kubelet's AtomicWriter (``webexplorer.sandbox.atomic_writer``), bound to a Secret so it
can be revoked, RBAC ``view`` plus creating ConfigMaps in ``default`` (what a dry-run POST needs).
``--clients`` visitors (asyncio, each with its own session cookie and CSRF token, 50-250 ms between
requests) mix browsing (70 %: the warmed pages of ``bench._common.PAGE_MIX`` and a few more), try-it
GETs of a ConfigMap (15 %) and try-it dry-run POSTs creating one (15 %), sent as plain form posts so
every answer carries its real status. A separate prober sends a try-it GET every 100 ms, to time
recovery precisely. Faults, on a schedule:

- at 30 %: a new token (bound to a second Secret) is published with an atomic ``..data`` swap, and two
  seconds later the old one is revoked (its Secret deleted);
- at 50 %: kube-apiserver is SIGKILLed and started again ``--outage`` seconds later.

Targets: 0 explorer 5xx (try-it during the outage excepted, which must answer 503), browsing pages
served throughout, try-it during the outage a clear 503 page, recovery ≤ 5 s after the API server is
back, 0 failed requests across the rotation, explorer RSS growth ≤ 10 % (from the end of warm-up).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench._common import (
    PAGE_MIX,
    Result,
    RssSampler,
    Target,
    bench_main,
    progress,
    rss_bytes,
    running_explorer,
)
from webexplorer.ports import wait_until
from webexplorer.sandbox.atomic_writer import AtomicWriter
from webexplorer.sandbox.controlplane import ControlPlane

RECOVERY_SECONDS = 5.0
RSS_GROWTH = 0.10
NAMESPACE = "default"
ACCOUNT = "bench-soak"
CONFIGMAP = "bench-soak"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
BROWSE = [
    *PAGE_MIX.values(),
    "/g/apps/v1",
    "/g/core/v1/configmaps",
    "/schema/apps/v1/Deployment",
    "/op/apps/v1/listAppsV1NamespacedDeployment",
]
READ = "/try/core/v1/readCoreV1NamespacedConfigMap"
CREATE = "/try/core/v1/createCoreV1NamespacedConfigMap"
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}
BODY = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: soak-dry-run\n  namespace: default\ndata:\n  a: x\n"
)


@dataclass
class Sample:
    started: float
    ended: float
    kind: str  # browse, get, post, probe
    status: int  # 0: no answer from the explorer
    note: str = ""


# ----------------------------------------------------------------------------------- the pod's identity


class PodIdentity:
    """The explorer's service account, its RBAC, and its token directory (rotated like a kubelet)."""

    def __init__(self, cp: ControlPlane, directory: Path) -> None:
        self.cp = cp
        self.writer = AtomicWriter(directory)
        self.directory = directory
        self.generation = 0

    def create(self) -> None:
        rbac = "/apis/rbac.authorization.k8s.io/v1"
        subject = [{"kind": "ServiceAccount", "name": ACCOUNT, "namespace": NAMESPACE}]
        objects = [
            (f"/api/v1/namespaces/{NAMESPACE}/serviceaccounts", {"metadata": {"name": ACCOUNT}}),
            (
                f"/api/v1/namespaces/{NAMESPACE}/configmaps",
                {"metadata": {"name": CONFIGMAP}, "data": {"a": "1"}},
            ),
            (
                f"{rbac}/clusterrolebindings",
                {
                    "metadata": {"name": f"{ACCOUNT}-view"},
                    "roleRef": {
                        "apiGroup": "rbac.authorization.k8s.io",
                        "kind": "ClusterRole",
                        "name": "view",
                    },
                    "subjects": subject,
                },
            ),
            (
                f"{rbac}/namespaces/{NAMESPACE}/roles",
                {
                    "metadata": {"name": ACCOUNT},
                    "rules": [
                        {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "create"]}
                    ],
                },
            ),
            (
                f"{rbac}/namespaces/{NAMESPACE}/rolebindings",
                {
                    "metadata": {"name": ACCOUNT},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": ACCOUNT},
                    "subjects": subject,
                },
            ),
        ]
        with self.cp.client() as admin:
            for collection, body in objects:
                response = admin.post(collection, json=body)
                if response.status_code not in (201, 409):
                    raise RuntimeError(f"POST {collection}: {response.status_code} {response.text[:200]}")
        token = self.new_token()
        self.publish(token)
        with self.cp.client(token) as pod:  # RBAC applies after a moment: wait for both permissions

            def allowed() -> bool:
                read = pod.get(f"/api/v1/namespaces/{NAMESPACE}/configmaps/{CONFIGMAP}")
                dry = pod.post(
                    f"/api/v1/namespaces/{NAMESPACE}/configmaps",
                    params={"dryRun": "All"},
                    json={"metadata": {"name": "soak-probe"}},
                )
                return read.status_code == 200 and dry.status_code == 201

            wait_until(allowed, timeout=30, interval=0.2, what="RBAC for the soak's service account")

    def new_token(self) -> str:
        """A fresh bound token, bound to a Secret of its own (deleting the Secret revokes the token)."""
        self.generation += 1
        name = f"{ACCOUNT}-bound-{self.generation}"
        with self.cp.client() as admin:
            secret = admin.post(f"/api/v1/namespaces/{NAMESPACE}/secrets", json={"metadata": {"name": name}})
            secret.raise_for_status()
            request = {
                "apiVersion": "authentication.k8s.io/v1",
                "kind": "TokenRequest",
                "spec": {
                    "expirationSeconds": 3600,
                    "boundObjectRef": {
                        "kind": "Secret",
                        "apiVersion": "v1",
                        "name": name,
                        "uid": secret.json()["metadata"]["uid"],
                    },
                },
            }
            answer = admin.post(
                f"/api/v1/namespaces/{NAMESPACE}/serviceaccounts/{ACCOUNT}/token", json=request
            )
            answer.raise_for_status()
            return str(answer.json()["status"]["token"])

    def publish(self, token: str) -> None:
        self.writer.write(
            {"token": token.encode(), "ca.crt": self.cp.ca_file.read_bytes(), "namespace": NAMESPACE.encode()}
        )

    def revoke(self, generation: int) -> None:
        with self.cp.client() as admin:
            admin.delete(
                f"/api/v1/namespaces/{NAMESPACE}/secrets/{ACCOUNT}-bound-{generation}"
            ).raise_for_status()

    def env(self) -> dict[str, str]:
        port = str(self.cp.port)
        return {
            "KUBERNETES_SERVICE_HOST": "127.0.0.1",
            "KUBERNETES_SERVICE_PORT": port,
            "KUBERNETES_SERVICE_PORT_HTTPS": port,
        }


# ----------------------------------------------------------------------------------- visitors


async def visitor(url: str, until: float, samples: list[Sample], seed: int) -> None:
    """One person: a session, then browsing and try-it until ``until``, 50-250 ms between requests."""
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        csrf = ""
        while time.perf_counter() < until:
            roll = rng.random()
            started = time.perf_counter()
            kind, note = "browse", ""
            try:
                if not csrf:
                    kind = "form"
                    found = CSRF.search((await client.get(READ)).text)
                    csrf = found.group(1) if found else ""
                    status = 200 if found else 500
                elif roll < 0.70:
                    note = rng.choice(BROWSE)
                    status = (await client.get(note)).status_code
                elif roll < 0.85:
                    kind = "get"
                    fields = {"csrf": csrf, "p.namespace": NAMESPACE, "p.name": CONFIGMAP}
                    status = (await client.post(READ, data=fields, headers=SAME_ORIGIN)).status_code
                else:
                    kind = "post"
                    fields = {"csrf": csrf, "p.namespace": NAMESPACE, "body": BODY, "dry_run": "on"}
                    status = (await client.post(CREATE, data=fields, headers=SAME_ORIGIN)).status_code
            except httpx.HTTPError as exc:
                status, note = 0, type(exc).__name__
            samples.append(Sample(started, time.perf_counter(), kind, status, note))
            await asyncio.sleep(rng.uniform(0.05, 0.25))


async def prober(url: str, until: float, samples: list[Sample], examples: dict[int, str]) -> None:
    """A try-it GET every 100 ms: recovery is the first 200 after the API server is back."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        found = CSRF.search((await client.get(READ)).text)
        csrf = found.group(1) if found else ""
        fields = {"csrf": csrf, "p.namespace": NAMESPACE, "p.name": CONFIGMAP}
        while time.perf_counter() < until:
            started = time.perf_counter()
            try:
                response = await client.post(READ, data=fields, headers=SAME_ORIGIN)
                status = response.status_code
                if status != 200 and status not in examples:
                    examples[status] = _main_text(response.text)
            except httpx.HTTPError:
                status = 0
            samples.append(Sample(started, time.perf_counter(), "probe", status))
            await asyncio.sleep(0.1)


def _main_text(page: str) -> str:
    """The visible words of the try-it answer (or the page's main part), for showing what a visitor
    was told."""
    for marker in ('id="tryout-no-answer"', 'id="tryout-result"', "<main"):
        if marker in page:
            page = page.split(marker, 1)[1]
            break
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.split(">", 1)[-1])).strip()[:400]


# ----------------------------------------------------------------------------------- the run


async def soak(
    cp: ControlPlane, identity: PodIdentity, url: str, pid: int, seconds: float, clients: int, outage: float
) -> dict[str, Any]:
    samples: list[Sample] = []
    probes: list[Sample] = []
    examples: dict[int, str] = {}
    events: dict[str, float] = {}
    rss: list[tuple[float, int]] = []
    start = time.perf_counter()
    until = start + seconds

    async def faults() -> None:
        await asyncio.sleep(seconds * 0.25)
        events["warm"] = time.perf_counter()  # warm-up over: RSS from here on is the baseline
        await asyncio.sleep(seconds * 0.05)
        old = identity.generation
        token = await asyncio.to_thread(identity.new_token)
        events["rotated"] = time.perf_counter()
        await asyncio.to_thread(identity.publish, token)
        progress("token rotated (atomic ..data swap)")
        await asyncio.sleep(2)
        await asyncio.to_thread(identity.revoke, old)
        events["revoked"] = time.perf_counter()
        progress("old token revoked (its bound Secret deleted)")
        await asyncio.sleep(max(0.0, start + seconds * 0.5 - time.perf_counter()))
        events["killing"] = time.perf_counter()
        await asyncio.to_thread(cp.stop_apiserver, kill=True)
        events["killed"] = time.perf_counter()
        progress(f"kube-apiserver killed; back in {outage:g} s")
        await asyncio.sleep(outage)
        events["restarting"] = time.perf_counter()
        events["restart_s"] = await asyncio.to_thread(cp.start_apiserver)
        events["back"] = time.perf_counter()
        progress(f"kube-apiserver ready again after {events['restart_s']:.1f} s")

    async def memory() -> None:
        while time.perf_counter() < until:
            rss.append((time.perf_counter(), rss_bytes(pid)))
            await asyncio.sleep(1)
        rss.append((time.perf_counter(), rss_bytes(pid)))

    await asyncio.gather(
        faults(),
        memory(),
        prober(url, until, probes, examples),
        *(visitor(url, until, samples, seed) for seed in range(clients)),
    )
    return analyse(samples, probes, examples, events, rss, start)


def analyse(
    samples: list[Sample],
    probes: list[Sample],
    examples: dict[int, str],
    events: dict[str, float],
    rss: list[tuple[float, int]],
    start: float,
) -> dict[str, Any]:
    killed, back = events["killing"], events["back"]

    def in_outage(s: Sample) -> bool:
        """Sent while no API server was there: after the kill and before the restart answered."""
        return s.ended >= killed and s.started < back

    def down(s: Sample) -> bool:
        """Answered entirely while the API server was dead (before it was even launched again)."""
        return s.started >= killed and s.ended < events["restarting"]

    by_kind = Counter((s.kind, s.status) for s in samples)
    tryit = [s for s in samples + probes if s.kind in ("get", "post", "probe")]
    outage_tryit = Counter(s.status for s in tryit if down(s))
    server_errors = [
        s
        for s in samples + probes
        if (s.status >= 500 or s.status == 0) and not (s.kind != "browse" and in_outage(s))
    ]
    browse_outage = Counter(s.status for s in samples if s.kind == "browse" and down(s))
    # from publishing the new token to 20 s after revoking the old one, or to the kill if that is sooner
    rotation_end = min(events["revoked"] + 20, killed)
    rotation = [s for s in samples + probes if events["rotated"] <= s.started and s.ended < rotation_end]
    rotation_failed = sum(1 for s in rotation if s.status != 200)
    recovered = next((p.ended for p in probes if p.started >= back and p.status == 200), None)
    recovery = (recovered - back) if recovered is not None else float("inf")
    # the first sample after warm-up (the first seconds load every page, document and template once)
    baseline = next((b for t, b in rss if t >= events["warm"]), 0)
    growth = (rss[-1][1] / baseline - 1) if baseline else float("nan")
    elapsed = max(s.ended for s in samples) - start if samples else 0
    return {
        "requests": len(samples) + len(probes),
        "pages_per_s": len(samples) / elapsed if elapsed else 0,
        "by_kind_status": {f"{k} {s}": n for (k, s), n in sorted(by_kind.items())},
        "server_errors": len(server_errors),
        "server_error_examples": [
            f"{s.kind} {s.status} {s.note} at {s.started - start:.2f}-{s.ended - start:.2f} s"
            for s in server_errors[:10]
        ],
        "failed_in_rotation": [
            f"{s.kind} {s.status} {s.note} at {s.started - start:.2f}-{s.ended - start:.2f} s"
            for s in rotation
            if s.status != 200
        ][:10],
        "events_s": {k: (v - start if k != "restart_s" else v) for k, v in events.items()},
        "browse_during_outage": dict(browse_outage),
        "tryit_during_outage": dict(outage_tryit),
        "outage_page_text": examples,
        "rotation_requests": len(rotation),
        "rotation_failed": rotation_failed,
        "outage_s": back - killed,
        "apiserver_restart_s": events["restart_s"],
        "recovery_s": recovery,
        "rss_baseline_bytes": baseline,
        "rss_end_bytes": rss[-1][1] if rss else 0,
        "rss_growth": growth,
        # the curve, every ~10 s: growth that levels off is warm-up, growth that keeps on is a leak
        "rss_mib_by_second": [(round(t - start), round(b / 2**20, 1)) for t, b in rss[::10]],
    }


def run(cp: ControlPlane, workdir: Path, opts: argparse.Namespace) -> Result:
    seconds = 20.0 if opts.quick else opts.minutes * 60
    clients = 10 if opts.quick else opts.clients
    outage = 3.0 if opts.quick else opts.outage
    identity = PodIdentity(cp, workdir / "serviceaccount")
    identity.create()
    args = ["--mode", "in-cluster", "--serviceaccount-dir", str(identity.directory)]
    with running_explorer(args, workdir / "explorer.log", env=identity.env(), warm=BROWSE) as explorer:
        with httpx.Client(base_url=explorer.url, timeout=30) as client:  # the try-it forms' documents too
            client.get(READ).raise_for_status()
            client.get(CREATE).raise_for_status()
        progress(f"soak: {clients} visitors for {seconds:g} s")
        with RssSampler(explorer.pid) as peak:
            data = asyncio.run(soak(cp, identity, explorer.url, explorer.pid, seconds, clients, outage))
        data["rss_peak_bytes"] = peak.peak
        if explorer.process.poll() is not None:
            data["server_errors"] += 1_000_000  # the explorer died: nothing else matters
    return summarize(data, seconds, clients)


def summarize(data: dict[str, Any], seconds: float, clients: int) -> Result:
    outage_tryit = data["tryit_during_outage"]
    # int(): statuses are dict keys, which come back from the JSON file as strings
    clear_503 = bool(outage_tryit) and {int(k) for k in outage_tryit} <= {503}
    browse_ok = bool(data["browse_during_outage"]) and {int(k) for k in data["browse_during_outage"]} <= {200}
    mb = 2**20
    result = Result(data=data)
    result.tables.append(
        (
            ["soak", "value"],
            [
                ["length, visitors", f"{seconds:g} s, {clients} (+1 prober)"],
                ["requests (pages/s by the visitors)", f"{data['requests']} ({data['pages_per_s']:.0f}/s)"],
                [
                    "answers by kind and status",
                    ", ".join(f"{k}: {n}" for k, n in data["by_kind_status"].items()),
                ],
                ["API server down (killed → ready)", f"{data['outage_s']:.1f} s"],
                ["browsing during the outage", str(data["browse_during_outage"])],
                ["try-it during the outage", str(outage_tryit)],
                [
                    "what try-it said",
                    " | ".join(f"{k}: {v[:160]}" for k, v in data["outage_page_text"].items()),
                ],
                [
                    "RSS baseline → end (peak)",
                    f"{data['rss_baseline_bytes'] / mb:.0f} → {data['rss_end_bytes'] / mb:.0f} MiB "
                    f"({data['rss_peak_bytes'] / mb:.0f})",
                ],
            ],
        )
    )
    result.targets += [
        Target(
            "explorer 5xx or no answer (try-it in the outage excepted)",
            str(data["server_errors"]),
            "0",
            data["server_errors"] == 0,
        ),
        Target("browsing pages during the outage", str(data["browse_during_outage"]), "all 200", browse_ok),
        Target("try-it during the outage", str(outage_tryit), "a clear 503 page", clear_503),
        Target(
            "recovery after the API server is back",
            f"{data['recovery_s']:.2f} s",
            f"≤ {RECOVERY_SECONDS:g} s",
            data["recovery_s"] <= RECOVERY_SECONDS,
        ),
        Target(
            "failed requests across the token rotation",
            f"{data['rotation_failed']} of {data['rotation_requests']}",
            "0",
            data["rotation_failed"] == 0,
        ),
        Target(
            "explorer RSS growth",
            f"{data['rss_growth']:+.1%}",
            f"≤ {RSS_GROWTH:.0%}",
            data["rss_growth"] <= RSS_GROWTH,
        ),
    ]
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--minutes", type=float, default=10, help="length of the soak (default 10)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent visitors (default 50)")
    parser.add_argument(
        "--outage", type=float, default=10, help="seconds the API server stays down (default 10)"
    )


def main() -> None:
    bench_main("soak", __doc__, run, add_arguments)


if __name__ == "__main__":
    main()
