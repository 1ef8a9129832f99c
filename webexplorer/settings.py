"""One settings object for the command line and the environment.

Every field is both a ``--flag`` (built by :mod:`webexplorer.cli` from this class, so the two can never
drift apart) and a ``WEBEXPLORER_<FIELD>`` environment variable. Command-line values win over the
environment, which wins over the defaults. The class is the single place an operator's choice is read;
nothing else in the package looks at ``os.environ`` for its own configuration (only the connection
layer reads the variables Kubernetes itself defines, such as ``KUBERNETES_SERVICE_HOST``).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SERVICEACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")

Mode = Literal["auto", "in-cluster", "server", "kubeconfig", "snapshot"]
OpenAPIChoice = Literal["auto", "v3", "v2"]
IdentityChoice = Literal["service-account", "token", "impersonate"]


class Settings(BaseSettings):
    """What an operator can choose. The ``description`` of each field is its ``--help`` text."""

    model_config = SettingsConfigDict(env_prefix="WEBEXPLORER_", extra="ignore", frozen=True)

    host: str = Field("127.0.0.1", description="address to listen on")
    port: int = Field(8080, ge=0, le=65535, description="port to listen on (0 picks a free one)")
    mode: Mode = Field(
        "auto",
        description="how to reach the API server; 'auto' tries in-cluster, kubectl proxy on 127.0.0.1:8001, "
        "kubeconfig, then the embedded snapshot",
    )
    server: str | None = Field(
        None, description="API server URL to use as is, e.g. http://127.0.0.1:8001 for kubectl proxy"
    )
    kubeconfig: str | None = Field(
        None, description="kubeconfig file(s), colon-separated like $KUBECONFIG (default ~/.kube/config)"
    )
    context: str | None = Field(None, description="kubeconfig context to start with (default: current)")
    serviceaccount_dir: Path = Field(
        DEFAULT_SERVICEACCOUNT_DIR, description="where the in-cluster token, ca.crt and namespace live"
    )
    snapshot: Path | None = Field(None, description="serve this recorded API snapshot, read-only")
    openapi: OpenAPIChoice = Field("auto", description="OpenAPI version to read: v3 where served, else v2")
    allow_writes: bool = Field(
        False, description="let try-it send writes for real (otherwise writes go out only as dry runs)"
    )
    allow_connect: bool = Field(
        False,
        description="let try-it use the exec, attach, portforward and proxy subresources (refused otherwise)",
    )
    secure_cookies: bool = Field(
        False,
        description="mark the session and sign-in cookies Secure even on plain HTTP: set it behind a proxy "
        "or Ingress that terminates TLS (the explorer then sees http, and would otherwise leave it off)",
    )
    secret_key: str | None = Field(
        None,
        description="key that signs session CSRF tokens; random per process when unset (give every replica "
        "the same value)",
        repr=False,
    )
    secret_key_file: str | None = Field(
        None,
        description="read --secret-key from this file (a mounted Secret: unlike an environment variable, "
        "it is not visible to every process the explorer starts or in a crash dump)",
    )
    identity: IdentityChoice = Field(
        "service-account",
        description="whose rights requests use: 'service-account' (the explorer's own), 'token' (each "
        "visitor signs in with a bearer token), 'impersonate' (identity headers from a trusted proxy)",
    )
    identity_user_header: str = Field(
        "X-Forwarded-User", description="(impersonate) the proxy's header naming the visitor"
    )
    identity_groups_header: str = Field(
        "X-Forwarded-Groups", description="(impersonate) the proxy's header listing the visitor's groups"
    )
    trusted_proxy_secret: str | None = Field(
        None,
        description="(impersonate) identity headers are trusted from a request whose Basic-auth password is "
        "this secret",
        repr=False,
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="(impersonate) client addresses (CIDRs) whose identity headers are trusted",
    )
    session_idle_minutes: float = Field(
        30.0, gt=0, description="(token) a sign-in ends after this many minutes without a request"
    )
    max_watches: int = Field(32, ge=0, description="open try-it watches allowed in total")
    max_watches_per_visitor: int = Field(3, ge=0, description="open try-it watches allowed per visitor")
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="extra Host header values to accept (localhost names are always accepted)",
    )
    contexts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="kubeconfig contexts visitors may switch to besides the first (comma-separated names, "
        "or * for every context of the kubeconfig); only with --identity service-account",
    )
    compare_snapshots: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        description="recorded snapshot files the API diff page offers to compare (besides the embedded one)",
    )
    changes: Literal["watch", "poll"] = Field(
        "watch",
        description="how API changes (CRDs, APIServices) are learnt: 'watch' them (polling only when the "
        "identity may not watch them), or 'poll' discovery every --refresh-interval",
    )
    refresh_interval: float = Field(
        1.0,
        gt=0,
        description="seconds between background checks for API changes when polling (--changes poll, or an "
        "identity that may not watch): conditional GETs of discovery and the OpenAPI index",
    )
    rebuild_interval: float = Field(
        1.0,
        ge=0,
        description="least seconds from one catalog rebuild to the next check (ten times the rebuild's "
        "own duration if that is longer); changes seen meanwhile are applied together (CRD churn)",
    )
    ready_timeout: float = Field(
        90.0,
        gt=0,
        description="seconds the API server may fail the background checks (plus --request-timeout) "
        "before /readyz reports not ready; pages keep serving the last catalog meanwhile",
    )
    request_timeout: float = Field(10.0, gt=0, description="seconds before an API server request gives up")
    keep_alive_timeout: int = Field(
        75,
        ge=1,
        le=3600,
        description="seconds an idle HTTP connection stays open; keep it above the idle time of the clients' "
        "and proxies' connection pools (uvicorn's 5 s races httpx's 5 s and resets requests)",
    )
    podinfo_dir: Path = Field(
        Path("/etc/podinfo"),
        description="the pod's downwardAPI volume (labels, annotations, resources) for the 'This pod' page",
    )
    page_cache_mib: float = Field(
        32.0,
        ge=0,
        description="memory for rendered page content kept until the API changes (0 turns the cache off)",
    )
    client_snippets: bool = Field(
        True,
        description="show each operation and try-it request as Python, JavaScript, Go and Java "
        "client-library code beside curl and kubectl",
    )
    log_json: bool = Field(False, description="write logs as JSON lines")
    log_level: Literal["debug", "info", "warning", "error"] = Field("info", description="log level")

    @field_validator("secret_key_file")
    @classmethod
    def _readable_key_file(cls, value: str | None, info: ValidationInfo) -> str | None:
        """The file must hold a key now: a typo here would otherwise give each replica its own random key,
        and every CSRF token and sign-in would fail on the replica that did not issue it."""
        if value is None:
            return None
        if info.data.get("secret_key"):
            raise ValueError("give --secret-key or --secret-key-file, not both")
        try:
            key = Path(value).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read {value}: {getattr(exc, 'strerror', None) or exc}") from None
        if not key:
            raise ValueError(f"{value} is empty")
        return value

    @model_validator(mode="after")
    def _key_from_file(self) -> Settings:
        """Everything reads ``secret_key``; the file (checked above) is where it came from. The model is
        frozen for everyone else, so its own construction sets the derived value directly."""
        if self.secret_key_file is not None:
            key = Path(self.secret_key_file).read_text(encoding="utf-8").strip()
            object.__setattr__(self, "secret_key", key)
        return self

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        """``a.example,b.example`` from a flag or the environment: a list is the natural shape."""
        if isinstance(value, str):
            return [h.strip().lower() for h in value.split(",") if h.strip()]
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_cidrs(cls, value: object) -> object:
        """``10.0.0.0/8,127.0.0.1/32``; each must be an address or network (checked here, at start)."""
        if isinstance(value, str):
            value = [c.strip() for c in value.split(",") if c.strip()]
        if isinstance(value, list):
            for cidr in value:
                ipaddress.ip_network(str(cidr), strict=False)  # ValueError -> a validation error
        return value

    @field_validator("contexts", mode="before")
    @classmethod
    def _split_names(cls, value: object) -> object:
        """``dev,staging`` from a flag or the environment."""
        if isinstance(value, str):
            return [n.strip() for n in value.split(",") if n.strip()]
        return value

    @field_validator("compare_snapshots", mode="before")
    @classmethod
    def _split_paths(cls, value: object) -> object:
        """``a.jsonl.xz,b.jsonl.xz`` from a flag or the environment."""
        if isinstance(value, str):
            return [p.strip() for p in value.split(",") if p.strip()]
        return value
