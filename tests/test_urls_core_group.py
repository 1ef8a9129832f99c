"""The core group's one conversion (``""`` in the API and the catalog, ``core`` in URLs) and the URL
functions the templates call instead of writing paths (``web/urls.py``)."""

from __future__ import annotations

import pytest

from webexplorer.catalog import Group, group_display_name
from webexplorer.web import urls


@pytest.mark.parametrize("group", ["", "apps", "stable.example.com"])
def test_segment_and_group_convert_both_ways(group: str) -> None:
    assert urls.group_from_url(urls.url_group_segment(group)) == group
    assert urls.valid_group(urls.url_group_segment(group))


def test_core_is_spelled_core_only_in_urls_and_on_pages() -> None:
    assert urls.url_group_segment("") == urls.CORE_SEGMENT == "core"
    assert urls.group_from_url("core") == ""
    assert group_display_name("") == "core" and group_display_name("apps") == "apps"
    assert Group("", (), "v1").display_name == "core"
    for url in (
        urls.url_group(""),
        urls.url_operation("", "v1", "listCoreV1Pod"),
        urls.url_schema("", "v1", "Pod"),
        urls.url_try("", "v1", "listCoreV1Pod"),
        urls.url_try_suggest_names("", "v1", "pods"),
    ):
        assert "/core/v1" in url or url == "/g/core", url


def test_page_urls() -> None:
    assert urls.url_home() == "/"
    assert urls.url_search_page() == "/search" and urls.url_search_live() == "/search?partial=1"
    assert urls.url_search("a b") == "/search?q=a%20b"
    assert (urls.url_diff(), urls.url_pod(), urls.url_signin(), urls.url_signout()) == (
        "/diff",
        "/pod",
        "/signin",
        "/signout",
    )
    assert urls.url_can_i() == "/can-i" and urls.url_can_i("") == "/can-i?namespace="
    assert urls.url_can_i("kube-system") == "/can-i?namespace=kube-system"
    assert urls.url_raw("/") == "/raw/"
    assert urls.url_try("apps", "v1", "createAppsV1NamespacedDeployment") == (
        "/try/apps/v1/createAppsV1NamespacedDeployment"
    )
    assert urls.url_try_view("yaml") == "/try/view/yaml"
    assert urls.url_try_answer("k-1_x") == "/try/answer/k-1_x"
    assert urls.url_try_suggest_namespaces() == "/try/suggest/namespaces"
    assert urls.url_try_watch("abc") == "/try/watch/abc"
    assert urls.url_try_watch_stop("abc") == "/try/watch-stop/abc"


def test_segments_are_quoted() -> None:
    """A value that is not a valid name still cannot leave its segment (the routes refuse it with 400)."""
    assert urls.url_try("a/b", "v1", "x?y") == "/try/a%2Fb/v1/x%3Fy"
    assert urls.url_try_suggest_names("g", "v1", "../x") == "/try/suggest/names/g/v1/..%2Fx"
    assert urls.url_can_i("a&b=c") == "/can-i?namespace=a%26b%3Dc"
    assert urls.url_try_watch("a/../b") == "/try/watch/a%2F..%2Fb"
