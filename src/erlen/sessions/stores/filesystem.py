"""Filesystem store: one JSON file per session, written atomically, under a lock.

``<dir>/<sid>`` holds ``{"f": {key: serialized value}, "e": expires, "u": user}``. A change takes
the session's file lock (:func:`~.base.stripe_lock`), reads the file, applies the changed keys and
writes a temporary file in the same directory, ``fsync``\\s it and renames it over the old one: a
reader sees the old or the new file, never a truncated one, and a full disk leaves the old file
intact. ``<dir>/users/<sha256 of the user id>/<sid>`` (empty files) index sessions by user.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
import typing as t

from .base import KEEP, Changes, Loaded, Store, StoreError, stripe_lock


class FileSystemStore(Store):
    def __init__(self, directory: str, mode: int = 0o600, lock_timeout: float = 2.0) -> None:
        self.directory = directory
        self.mode = mode
        self.lock_timeout = lock_timeout
        self._locks = os.path.join(directory, "locks")
        self._users = os.path.join(directory, "users")

    def _path(self, sid: str) -> str:
        # SECURITY: ids reach here only after the session interface checked their alphabet
        # (URL-safe base64), so they cannot name another directory.
        return os.path.join(self.directory, sid)

    def _user_dir(self, user: str) -> str:
        return os.path.join(self._users, hashlib.sha256(user.encode()).hexdigest())

    def _read(self, sid: str) -> dict[str, t.Any] | None:
        try:
            with open(self._path(sid), "rb") as f:
                item = json.loads(f.read())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as e:
            raise StoreError(f"filesystem: {e}") from e
        return item if isinstance(item, dict) else None

    def _write(self, sid: str, item: dict[str, t.Any]) -> None:
        data = json.dumps(item).encode()
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.directory)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, self.mode)
            os.replace(tmp, self._path(sid))
        except OSError as e:
            # NOTE: ENOSPC (full disk) lands here: the old file was never touched.
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise StoreError(f"filesystem: {e}") from e

    def load(self, sid: str) -> Loaded | None:
        item = self._read(sid)
        if item is None or item.get("e", 0) <= time.time():
            return None
        return Loaded(item["f"], item["e"])

    def apply(
        self,
        sid: str,
        changes: Changes,
        ttl: int,
        *,
        user: str | None = KEEP,
        replace: bool = False,
    ) -> None:
        os.makedirs(self.directory, exist_ok=True)
        with stripe_lock(self._locks, sid, self.lock_timeout):
            self._apply_locked(sid, changes, ttl, user, replace)
        if user is not KEEP and user is not None:
            try:
                os.makedirs(self._user_dir(user), exist_ok=True)
                open(os.path.join(self._user_dir(user), sid), "wb").close()
            except OSError as e:
                raise StoreError(f"filesystem: {e}") from e

    def _apply_locked(
        self, sid: str, changes: Changes, ttl: int, user: str | None, replace: bool
    ) -> None:
        item = None if replace else self._read(sid)
        if item is None or item.get("e", 0) <= time.time():
            item = {"f": {}, "u": None}
        for k, v in changes.items():
            if v is None:
                item["f"].pop(k, None)
            else:
                item["f"][k] = v
        item["e"] = time.time() + ttl
        if user is not KEEP:
            item["u"] = user
        self._write(sid, item)

    def apply_if_exists(self, sid: str, changes: Changes, ttl: int) -> bool:
        with stripe_lock(self._locks, sid, self.lock_timeout):
            if self.load(sid) is None:
                return False
            self._apply_locked(sid, changes, ttl, KEEP, False)
            return True

    def delete(self, sid: str, user: str | None = None) -> None:
        try:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._path(sid))
            if user is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(self._user_dir(user), sid))
        except OSError as e:
            raise StoreError(f"filesystem: {e}") from e

    def touch(self, sid: str, ttl: int) -> None:
        with stripe_lock(self._locks, sid, self.lock_timeout):
            item = self._read(sid)
            if item is not None:
                item["e"] = time.time() + ttl
                self._write(sid, item)

    def revoke_user(self, user: str) -> int:
        n = 0
        directory = self._user_dir(user)
        try:
            names = os.listdir(directory)
        except FileNotFoundError:
            return 0
        for sid in names:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._path(sid))
                n += 1
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(directory, sid))
        with contextlib.suppress(OSError):
            os.rmdir(directory)
        return n

    def cleanup(self) -> int:
        n = 0
        now = time.time()
        try:
            names = os.listdir(self.directory)
        except FileNotFoundError:
            return 0
        for name in names:
            path = os.path.join(self.directory, name)
            if name.startswith(".") or not os.path.isfile(path):
                continue
            with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                with open(path, "rb") as f:
                    expires = json.loads(f.read())["e"]
                if expires <= now:
                    os.unlink(path)
                    n += 1
        return n

    def lock(self, sid: str, timeout: float) -> t.ContextManager[None]:
        # NOTE: its own lock directory: apply() inside the block takes the data lock, and a
        # flock is not reentrant.
        return stripe_lock(os.path.join(self.directory, "atomic-locks"), sid, timeout)
