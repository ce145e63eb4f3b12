"""Signed links of a workspace: one secret in ``data/`` and an itsdangerous serializer per purpose.

Links in messages (tracking, unsubscribe) carry a token the server must trust without a
database lookup. The secret is made on first use (256 random bits, file mode 0600) and stays with
the workspace, so links keep working across restarts; deleting the file invalidates every link
sent so far. A purpose is the serializer's salt: a token made for one purpose (say ``tracking``)
does not verify for another (``unsubscribe``).
"""

from __future__ import annotations

import os
import secrets
from typing import TYPE_CHECKING

from itsdangerous import URLSafeSerializer

if TYPE_CHECKING:
    from journeykit.workspace import Workspace

SECRET_FILE = "signing-secret"


def signer(workspace: Workspace, purpose: str) -> URLSafeSerializer:
    """The serializer of ``purpose``: ``dumps(data)`` makes a URL-safe token, ``loads(token)``
    returns the data or raises ``itsdangerous.BadSignature``."""
    return URLSafeSerializer(workspace_secret(workspace), salt=f"journeykit.{purpose}")


def workspace_secret(workspace: Workspace) -> bytes:
    """The workspace's signing secret, created (0600) if there is none yet."""
    path = workspace.data_dir / SECRET_FILE
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32).encode()
    draft = path.with_name(f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(secret)
            file.flush()
            os.fsync(file.fileno())
        os.link(draft, path)  # atomic, and refuses to replace a secret another process made
    except FileExistsError:
        return path.read_bytes().strip()
    finally:
        draft.unlink(missing_ok=True)
    return secret
