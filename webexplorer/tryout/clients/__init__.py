"""The same request in the client libraries people write operators and scripts with.

:mod:`.call` turns an operation (and, for a try-it answer, the checked plan) into a :class:`~.call.Call`:
a typed, library-neutral description of one request (group, version, kind, verb, scope, subresource,
namespace, name, typed query parameters, patch type, body). One small table-driven module per library
turns a call into code — :mod:`.python` (``kubernetes``), :mod:`.javascript`
(``@kubernetes/client-node``), :mod:`.golang` (client-go) and :mod:`.java` (Fabric8) — and
:mod:`.snippet` gathers them for a page. Nothing here knows a kind by hand, so custom resources get
snippets too; where a library cannot say something, its snippet is a sentence that says so.
"""
