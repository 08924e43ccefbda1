"""E-mail: reading saved mail files, the inbox and its manifest, and drafts to send.

``reading`` reads ``.eml``, ``.emlx``, Outlook ``.msg`` and mbox files; ``containers``
opens what holds attachments (zip, winmail.dat, attached mails); ``inbox`` is
``collect`` (the attachments into a folder) and the manifest of who sent what; ``drafts``
writes the ``.eml`` drafts — the plans out (``generate --drafts``) and the replies with
feedback copies (``validate --feedback DIR --drafts``); ``reminders`` the reminders to the
regions whose plan is missing, faulty or unreadable (``consolidate --drafts DIR``).

A layer above validation and feedback (see ``smso_xl/__init__.py``): mail may use their
results, they never import mail. What they need from here is handed in by the caller: the
command line gives ``validate`` and ``consolidate`` the manifest's :meth:`ManifestIndex.lookup`
and ``generate`` a :class:`PlanDrafts`.
"""

from __future__ import annotations

from ..base.formats import WORKBOOK_MIME_TYPES
from ..base.provenance import Provenance
from .containers import Attachment
from .drafts import (
    DRAFT_SUFFIX,
    FINDINGS_IN_BODY,
    Draft,
    PlanDrafts,
    draft_path,
    feedback_draft,
    plan_draft,
    write_draft,
    write_feedback_drafts,
)
from .inbox import (
    MANIFEST_NAME,
    CollectResult,
    Duplicate,
    ManifestIndex,
    OtherAttachment,
    Saved,
    collect,
    read_manifest,
    safe_name,
    workbook_suffix,
    write_manifest,
)
from .reading import (
    OLE_MAGIC,
    Mail,
    MailFiles,
    ParsedMail,
    Problem,
    find_mail_files,
    mbox_messages,
    msg_attachments,
    read_mail_file,
    scan_sources,
)

__all__ = [
    "DRAFT_SUFFIX", "FINDINGS_IN_BODY", "MANIFEST_NAME", "OLE_MAGIC", "WORKBOOK_MIME_TYPES",
    "Attachment", "CollectResult", "Draft", "Duplicate", "Mail", "MailFiles", "ManifestIndex",
    "OtherAttachment", "ParsedMail", "PlanDrafts", "Problem", "Provenance", "Saved", "collect",
    "draft_path", "feedback_draft", "find_mail_files", "mbox_messages", "msg_attachments",
    "plan_draft", "read_mail_file", "read_manifest", "safe_name", "scan_sources", "workbook_suffix",
    "write_draft",
    "write_feedback_drafts", "write_manifest",
]
