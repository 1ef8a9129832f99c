"""Try it out: one form becomes exactly one request to the API server, or a refusal with a reason.

Pure code (no web framework, no HTTP client): :mod:`.plan` validates a form into a
:class:`~.plan.PlannedRequest` or a :class:`~.plan.Refusal` before anything is sent, :mod:`.bodies`
parses request bodies under limits, :mod:`.skeleton` prefills them from the schema, :mod:`.commands`
writes the equivalent curl/kubectl/Python, and :mod:`.answer`, :mod:`.status`, :mod:`.explain` and
:mod:`.watch` turn what came back into what a page shows. The routes live in
``webexplorer.web.tryout_*`` (form page, send, later views, suggestions, watches).
"""
