"""Meta's Resumable Upload API, as the sandbox plays it: an app opens an upload session for
one file, sends its bytes (from an offset, so a broken upload resumes), and gets a file handle
that a template's media header example names (``example.header_handle``)."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field

from niaga.channels.sandbox.errors import SandboxError

# What Meta's uploads endpoint accepts, and what each header format needs.
FILE_TYPES = {"application/pdf", "image/jpeg", "image/jpg", "image/png", "video/mp4"}
FORMAT_TYPES = {
    "IMAGE": {"image/jpeg", "image/jpg", "image/png"},
    "VIDEO": {"video/mp4"},
    "DOCUMENT": {"application/pdf"},
}
MAX_BYTES = 100 * 2**20


@dataclass
class UploadSession:
    """One file on its way up."""

    id: str
    file_name: str
    file_length: int
    file_type: str
    data: bytearray = field(default_factory=bytearray)


@dataclass
class Uploads:
    """Open sessions and the handles of finished files (handle -> MIME type)."""

    sessions: dict[str, UploadSession] = field(default_factory=dict)
    handles: dict[str, str] = field(default_factory=dict)

    def open(self, file_name: str, file_length: str | None, file_type: str | None) -> str:
        """A new session's id (``upload:…``)."""
        if file_type not in FILE_TYPES:
            raise SandboxError(
                100, f"Invalid parameter: file_type must be one of {sorted(FILE_TYPES)}"
            )
        try:
            length = int(file_length or "")
        except ValueError:
            raise SandboxError(100, "Invalid parameter: file_length must be a number") from None
        if not 0 < length <= MAX_BYTES:
            raise SandboxError(100, f"Invalid parameter: file_length must be 1..{MAX_BYTES}")
        token = base64.urlsafe_b64encode(secrets.token_bytes(18)).decode()
        upload = UploadSession(f"upload:{token}", file_name or "file", length, file_type)
        self.sessions[upload.id] = upload
        return upload.id

    def offset(self, upload_id: str) -> int:
        """How many bytes of the file the session holds."""
        return len(self._session(upload_id).data)

    def write(self, upload_id: str, file_offset: str | None, chunk: bytes) -> str | None:
        """Add ``chunk`` at ``file_offset``; the file handle once the file is complete."""
        upload = self._session(upload_id)
        if file_offset != str(len(upload.data)):
            raise SandboxError(
                100, f"Invalid parameter: file_offset must be {len(upload.data)} for this upload"
            )
        if len(upload.data) + len(chunk) > upload.file_length:
            raise SandboxError(100, "Invalid parameter: more bytes than file_length")
        upload.data += chunk
        if len(upload.data) < upload.file_length:
            return None
        kind = base64.b64encode(upload.file_type.encode()).decode()
        handle = f"4::{kind}:{secrets.token_urlsafe(24)}"
        self.handles[handle] = upload.file_type
        del self.sessions[upload_id]
        return handle

    def check_example(self, fmt: str, handles: object) -> None:
        """A media header's example must be a handle of a file of the header's kind."""
        if not isinstance(handles, list) or not handles or not isinstance(handles[0], str):
            raise SandboxError(
                100, f"Invalid parameter: a {fmt} header needs example.header_handle"
            )
        mime = self.handles.get(handles[0])
        if mime is None:
            raise SandboxError(100, "Invalid parameter: unknown header_handle")
        if mime not in FORMAT_TYPES.get(fmt, set()):
            raise SandboxError(100, f"Invalid parameter: a {fmt} header cannot show {mime}")

    def _session(self, upload_id: str) -> UploadSession:
        upload = self.sessions.get(upload_id)
        if upload is None:
            raise SandboxError(100, f"Upload session {upload_id} does not exist")
        return upload
