"""Writing corpus and state files so that a crash leaves the old file or the new one, never half of one."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def place_file(source: Path, target: Path) -> None:
    """Put ``source`` at ``target`` without reading it through: a hard link, else a copy.

    (Not a symbolic link: the corpus loader does not follow links to outside the corpus folder.)
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not allowed there
        shutil.copyfile(source, target)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step, through a hidden temporary file the corpus loader ignores."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
