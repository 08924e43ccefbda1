"""E-mail: reading saved mail files, the inbox and its manifest, and drafts to send.

``reading`` reads ``.eml``, ``.emlx``, Outlook ``.msg`` and mbox files; ``containers``
opens what holds attachments (zip, winmail.dat, attached mails); ``inbox`` is
``collect`` (the attachments into a folder), ``manifest`` its record of who sent what; ``drafts``
writes the ``.eml`` drafts — the plans out (``generate --drafts``) and the replies with
feedback copies (``validate --feedback DIR --drafts``); ``reminders`` the reminders to the
regions whose plan is missing, faulty or unreadable (``consolidate --drafts DIR``).

A layer above validation and feedback (see ``smso_xl/__init__.py``): mail may use their
results, they never import mail. What they need from here is handed in by the caller: the
command line gives ``validate`` and ``consolidate`` the manifest's :meth:`ManifestIndex.lookup`
and ``generate`` a :class:`PlanDrafts`.
"""

from __future__ import annotations

import importlib
from typing import Any

# Each name from the module that defines it, imported on first use (PEP 562): `validate`
# needs only the manifest's lookup, and should not pay for parsing mail at start-up.
_MODULES: dict[str, tuple[str, ...]] = {
    "..base.formats": ("WORKBOOK_MIME_TYPES",),
    "..base.provenance": ("Provenance",),
    ".containers": ("Attachment",),
    ".drafts": ("DRAFT_SUFFIX", "FINDINGS_IN_BODY", "Draft", "PlanDrafts", "draft_path",
                "feedback_draft", "plan_draft", "write_draft", "write_feedback_drafts"),
    ".inbox": ("CollectResult", "Duplicate", "OtherAttachment", "Saved", "collect",
               "safe_name", "workbook_suffix"),
    ".manifest": ("MANIFEST_NAME", "ManifestIndex", "read_manifest", "write_manifest"),
    ".reading": ("OLE_MAGIC", "Mail", "MailFiles", "ParsedMail", "Problem", "find_mail_files",
                 "mbox_messages", "msg_attachments", "read_mail_file", "scan_sources"),
}
_API = {name: module for module, names in _MODULES.items() for name in names}
__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(_API[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
