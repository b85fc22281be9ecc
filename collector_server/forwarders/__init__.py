"""Forwarding groups to the tools people already work in.

One module per backend (GitHub, GitLab, Jira, Linear, Sentry, a signed webhook, the Slack and
Telegram notifiers, and later the helpdesks), each behind the one ``Forwarder`` interface, found
through a registry that maps a ``[[forwarders]]`` table's ``kind`` to an import string, imported
lazily. What every backend shares lives here too: :mod:`.neutralise` makes user-written text safe
for each target's markup, and :mod:`.render` builds a ticket's content from a group and one of
its reports (:mod:`.render_markdown`, :mod:`.render_adf` and :mod:`.render_chat` turn it into
Markdown, Atlassian Document Format, a Slack message and a Telegram message). Those are pure
functions: no I/O.
"""
