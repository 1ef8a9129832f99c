"""webexplorer: a fast, safe, server-rendered explorer for the Kubernetes REST API."""

__version__ = "0.1.0"
