"""What the two clients generated from the OpenAPI document (Python's ``kubernetes``, JavaScript's
``@kubernetes/client-node``) share: the API class, the method and its arguments for a call.

Both generators name an API class after the operation's tag (``core_v1`` → ``CoreV1Api``) and a
method after the operation id without the tag (``createCoreV1NamespacedConfigMap`` →
``createNamespacedConfigMap``; Python spells it in snake case), so the rule holds for every built-in
operation of the served document. Custom resources are not in that document: both clients reach them
through ``CustomObjectsApi``, whose methods and options are tabled here. Neither has watch methods: a
watch streams the list method (Python) or the collection path (JavaScript's ``Watch``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .call import STREAMED, Call, Param, Value, stream_sentence

#: the options each ``CustomObjectsApi`` method takes, by verb (the same in both clients, but Python's
#: list methods lack ``continue``: its module takes it out)
CUSTOM_OPTIONS: dict[str, frozenset[str]] = {
    "get": frozenset(),
    "list": frozenset(
        {
            "allowWatchBookmarks",
            "continue",
            "fieldSelector",
            "labelSelector",
            "limit",
            "resourceVersion",
            "resourceVersionMatch",
            "timeoutSeconds",
        }
    ),
    "create": frozenset({"fieldManager", "fieldValidation"}),
    "update": frozenset({"fieldManager", "fieldValidation"}),
    "patch": frozenset({"fieldManager", "fieldValidation", "force"}),
    "delete": frozenset({"gracePeriodSeconds", "orphanDependents", "propagationPolicy"}),
    "deletecollection": frozenset(
        {"labelSelector", "fieldSelector", "gracePeriodSeconds", "orphanDependents", "propagationPolicy"}
    ),
}
#: a custom-object method's verb word where it is not the call's verb
_CUSTOM_WORDS = {
    "update": "replace",
    "apply": "patch",
    "watch": "list",
    "deletecollection": "deleteCollection",
}
_CUSTOM_OPTION_VERBS = {"apply": "patch", "watch": "list"}


@dataclass(frozen=True, slots=True)
class Invocation:
    """The API class, the method (camel case) and its arguments by their OpenAPI names."""

    api_class: str
    method: str
    args: tuple[tuple[str, Value], ...]
    body: bool
    options: tuple[Param, ...]
    content_type: str
    watch: bool
    custom: bool
    #: options the method has no argument for (not carried: the snippet says so)
    dropped: tuple[str, ...] = ()


def api_class(tag: str) -> str:
    """``core_v1`` → ``CoreV1Api``, ``rbacAuthorization_v1`` → ``RbacAuthorizationV1Api``."""
    return "".join(part[:1].upper() + part[1:] for part in tag.split("_")) + "Api"


def method_name(call: Call) -> str:
    """The method of a built-in operation; a watch is the list method it streams."""
    op_id = call.operation_id
    if call.verb == "watch" and op_id.startswith("watch"):
        op_id = "list" + op_id[len("watch") :]
        op_id = op_id.replace("ListForAllNamespaces", "ForAllNamespaces").removesuffix("List")
    return op_id.replace(api_class(call.tag).removesuffix("Api"), "", 1)


def invocation(
    call: Call, library: str, custom_options: dict[str, frozenset[str]] = CUSTOM_OPTIONS
) -> Invocation | str:
    """How ``library`` makes the call, or the sentence saying why it has no method for it."""
    if call.verb is None and call.resource:
        return f"{library} has no method for {call.operation_id}."
    if call.subresource in STREAMED:
        return stream_sentence(call.subresource, library, "its own streaming helper (a WebSocket)")
    by_name = call.watch_by_name
    selector = (Param("fieldSelector", f"metadata.name={call.name}"),) if by_name else ()
    if call.builtin:
        args = tuple((k, v) for k, v in call.path_params if not (by_name and k == "name"))
        return Invocation(
            api_class(call.tag),
            method_name(call),
            args,
            call.body is not None,
            selector + call.params,
            call.patch_type,
            call.verb == "watch",
            custom=False,
        )
    if not call.resource:  # the group version's own path: its resource list
        return Invocation(
            "CustomObjectsApi",
            "getAPIResources",
            (("group", call.group), ("version", call.version)),
            False,
            (),
            "",
            False,
            custom=True,
        )
    verb = call.verb or ""
    if verb == "connect" or (call.subresource and call.subresource not in ("status", "scale")):
        what = call.subresource or verb
        return f"{library}'s CustomObjectsApi has no method for the {what} of a custom resource."
    scope = "Namespaced" if call.namespaced else "Cluster"
    name = f"{_CUSTOM_WORDS.get(verb, verb)}{scope}CustomObject{call.subresource.capitalize()}"
    if call.all_namespaces:
        name = "listCustomObjectForAllNamespaces"
    custom_args: list[tuple[str, Value]] = [("group", call.group), ("version", call.version)]
    if call.namespaced:
        custom_args.append(("namespace", call.namespace))
    custom_args.append(("plural", call.resource))
    if call.name and not by_name:
        custom_args.append(("name", call.name))
    accepted = custom_options[_CUSTOM_OPTION_VERBS.get(verb, verb)]
    if verb == "deletecollection" and not call.namespaced:  # the cluster-scoped one takes no field selector
        accepted = accepted - {"fieldSelector"}
    return Invocation(
        "CustomObjectsApi",
        name,
        tuple(custom_args),
        call.body is not None,
        selector + tuple(p for p in call.params if p.name in accepted),
        call.patch_type,
        verb == "watch",
        custom=True,
        dropped=tuple(p.name for p in call.params if p.name not in accepted),
    )
