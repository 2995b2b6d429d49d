"""Finding a running local stack (``npm start``) from anywhere inside the project: the nearest
``.taskenv`` (walking up) with a ``stack.json`` (``{apiUrl, pid}``) or an ``api-key``."""
from __future__ import annotations

import json
import os
from typing import Mapping, Optional, Tuple


def _read(path: str) -> Optional[str]:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (FileNotFoundError, NotADirectoryError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _running_url(text: Optional[str]) -> Optional[str]:
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    url, pid = data.get("apiUrl"), data.get("pid")
    if not isinstance(url, str) or not isinstance(pid, int):
        return None
    return url if _alive(pid) else None


def _read_dir(data_dir: str) -> Optional[Tuple[Optional[str], Optional[str]]]:
    stack = _read(os.path.join(data_dir, "stack.json"))
    key = _read(os.path.join(data_dir, "api-key"))
    if stack is None and key is None:
        return None
    return _running_url(stack), (key.strip() or None) if key is not None else None


def find_local_stack(cwd: str, env: Mapping[str, str]) -> Optional[Tuple[Optional[str], Optional[str]]]:
    """``(api_url, api_key)`` of ``$TASKENV_DATA_DIR`` or the nearest ``.taskenv``; None when there is none."""
    explicit = (env.get("TASKENV_DATA_DIR") or "").strip()
    if explicit:
        return _read_dir(os.path.join(cwd, explicit))
    directory = os.path.abspath(cwd)
    while True:
        found = _read_dir(os.path.join(directory, ".taskenv"))
        if found is not None:
            return found
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent
