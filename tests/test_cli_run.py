"""``erlen run``: every option as it reaches the server function, then real ``python -m erlen
run`` processes: the port from ``FLASK_RUN_PORT`` and ``.flaskenv``, HTTPS, a busy port, the
reloader after an edit; and ``app.run()`` under the command.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import typing as t
from pathlib import Path

import pytest

import erlen
import erlen.cli
import erlen.serving.devserver
from helpers_cli import (  # noqa: F401 - isolated_cli is an autouse fixture
    STARTUP_TIMEOUT,
    app_module,
    assert_one_line_error,
    erlen_process,
    isolated_cli,
    run_cli,
    write,
)
from helpers_servers import free_port

# -- run: the options reaching the server -------------------------------------------------------


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, t.Any]]:
    """Record each call to the development server function instead of serving."""
    calls: list[dict[str, t.Any]] = []

    def run_simple(host: str, port: int, app: t.Any, **options: t.Any) -> None:
        calls.append({"host": host, "port": port, "app": app, **options})

    monkeypatch.setattr(erlen.serving.devserver, "run_simple", run_simple)
    app_module("hello.py")
    return calls


DEFAULT_RUN = {
    "host": "127.0.0.1",
    "port": 5000,
    "use_reloader": False,
    "use_debugger": False,
    "threaded": True,
    "ssl_context": None,
    "extra_files": None,
    "exclude_patterns": None,
}


def run_options(served: list[dict[str, t.Any]], *args: str) -> dict[str, t.Any]:
    served.clear()
    result = run_cli("--app", "hello", *args)
    assert result.exit_code == 0, result.output
    assert len(served) == 1
    options = dict(served[0])
    assert isinstance(options.pop("app"), erlen.Erlen)
    return options


def test_run_defaults(served: list[dict[str, t.Any]]) -> None:
    assert run_options(served, "run") == DEFAULT_RUN


def test_run_host_and_port_options(served: list[dict[str, t.Any]]) -> None:
    options = run_options(served, "run", "--host", "0.0.0.0", "--port", "8123")
    assert (options["host"], options["port"]) == ("0.0.0.0", 8123)
    options = run_options(served, "run", "-h", "::1", "-p", "9000")
    assert (options["host"], options["port"]) == ("::1", 9000)


@pytest.mark.parametrize(
    ("env", "port", "host"),
    [
        ({"ERLEN_RUN_PORT": "8001"}, 8001, "127.0.0.1"),
        ({"FLASK_RUN_PORT": "8002"}, 8002, "127.0.0.1"),
        ({"FLASK_RUN_PORT": "8002", "ERLEN_RUN_PORT": "8003"}, 8003, "127.0.0.1"),
        ({"FLASK_RUN_HOST": "0.0.0.0"}, 5000, "0.0.0.0"),
        ({"ERLEN_RUN_HOST": "127.0.0.2", "FLASK_RUN_HOST": "0.0.0.0"}, 5000, "127.0.0.2"),
    ],
)
def test_run_port_and_host_from_variables(
    served: list[dict[str, t.Any]], env: dict[str, str], port: int, host: str
) -> None:
    os.environ.update(env)
    options = run_options(served, "run")
    assert (options["port"], options["host"]) == (port, host)
    # The command line wins over any variable.
    assert run_options(served, "run", "-p", "7000")["port"] == 7000


def test_run_port_from_flaskenv_and_erlenenv(served: list[dict[str, t.Any]]) -> None:
    write(".flaskenv", "FLASK_RUN_PORT=8011\n")
    assert run_options(served, "run")["port"] == 8011
    write(".erlenenv", "ERLEN_RUN_PORT=8012\n")
    assert run_options(served, "run")["port"] == 8012


def test_run_bad_port_is_a_usage_error(served: list[dict[str, t.Any]]) -> None:
    for bad in ("abc", "70000", "-1"):
        result = run_cli("--app", "hello", "run", "--port", bad)
        assert result.exit_code == 2 and "Invalid value for '--port'" in result.output
    os.environ["FLASK_RUN_PORT"] = "http"
    result = run_cli("--app", "hello", "run")
    assert result.exit_code == 2 and "Invalid value for '--port'" in result.output
    assert served == []


def test_run_reload_and_debugger_follow_debug(served: list[dict[str, t.Any]]) -> None:
    options = run_options(served, "--debug", "run")
    assert (options["use_reloader"], options["use_debugger"]) == (True, True)
    options = run_options(served, "run", "--debug")
    assert (options["use_reloader"], options["use_debugger"]) == (True, True)
    options = run_options(served, "--debug", "run", "--no-reload", "--no-debugger")
    assert (options["use_reloader"], options["use_debugger"]) == (False, False)
    options = run_options(served, "run", "--reload", "--debugger")
    assert (options["use_reloader"], options["use_debugger"]) == (True, True)
    os.environ["FLASK_RUN_RELOAD"] = "true"
    assert run_options(served, "run")["use_reloader"] is True


def test_run_threads_option(served: list[dict[str, t.Any]]) -> None:
    assert run_options(served, "run", "--without-threads")["threaded"] is False
    assert run_options(served, "run", "--with-threads")["threaded"] is True
    os.environ["ERLEN_RUN_WITH_THREADS"] = "false"
    assert run_options(served, "run")["threaded"] is False


def test_run_extra_files_and_exclude_patterns(served: list[dict[str, t.Any]]) -> None:
    sep = os.pathsep
    options = run_options(
        served, "run", "--extra-files", f"a.cfg{sep}b.cfg", "--exclude-patterns", f"*.log{sep}tmp/*"
    )
    assert options["extra_files"] == ["a.cfg", "b.cfg"]
    assert options["exclude_patterns"] == ["*.log", "tmp/*"]
    os.environ["FLASK_RUN_EXTRA_FILES"] = f"x.toml{sep}y.toml"
    assert run_options(served, "run")["extra_files"] == ["x.toml", "y.toml"]


def _self_signed(folder: Path) -> tuple[str, str]:
    from erlen.serving.adhoc import adhoc_certificate

    cert, key = adhoc_certificate()
    (folder / "cert.pem").write_bytes(Path(cert).read_bytes())
    (folder / "key.pem").write_bytes(Path(key).read_bytes())
    return str((folder / "cert.pem").resolve()), str((folder / "key.pem").resolve())


def test_run_cert_and_key(served: list[dict[str, t.Any]], tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    options = run_options(served, "run", "--cert", "cert.pem", "--key", "key.pem")
    assert options["ssl_context"] == (cert, key)
    options = run_options(served, "run", "--key", "key.pem", "--cert", "cert.pem")
    assert options["ssl_context"] == (cert, key)
    assert run_options(served, "run", "--cert", "adhoc")["ssl_context"] == "adhoc"
    write("tls.py", "import ssl\ncontext = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n")
    context = run_options(served, "run", "--cert", "tls.context")["ssl_context"]
    assert isinstance(context, ssl.SSLContext)


def test_run_cert_bare_import_name_of_a_context(served: list[dict[str, t.Any]]) -> None:
    # Flask's import path may name a module that replaced itself with the context.
    write(
        "tls_self.py",
        "import ssl, sys\nsys.modules[__name__] = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n",
    )
    context = run_options(served, "run", "--cert", "tls_self")["ssl_context"]
    assert isinstance(context, ssl.SSLContext)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cert", "hello"], "is not an existing file, 'adhoc', or the import path"),
        (["--cert", "not_a_module_xyz"], "is not an existing file, 'adhoc', or the import path"),
        (["--cert", "tls_self", "--key", "key.pem"], '"--key" is not used'),
        (["--cert", "cert.pem"], 'Required when using "--cert"'),
        (["--key", "key.pem"], '"--cert" must also be specified'),
        (["--cert", "adhoc", "--key", "key.pem"], '"--key" is not used'),
        (["--cert", "tls.context", "--key", "key.pem"], '"--key" is not used'),
        (["--cert", "nothing.pem"], "is not an existing file, 'adhoc', or the import path"),
        (["--cert", "cert.pem", "--key", "missing.pem"], "does not exist"),
    ],
)
def test_run_cert_errors(
    served: list[dict[str, t.Any]], tmp_path: Path, args: list[str], message: str
) -> None:
    _self_signed(tmp_path)
    write("tls.py", "import ssl\ncontext = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n")
    write(
        "tls_self.py",
        "import ssl, sys\nsys.modules[__name__] = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n",
    )
    result = run_cli("--app", "hello", "run", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert served == []


def test_run_busy_port_is_one_line() -> None:
    app_module("hello.py")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("--app", "hello", "run", "--port", str(port))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.splitlines()[-1] == (
        f"Error: Address already in use: port {port} on 127.0.0.1 is taken by another program;"
        " stop it or pick another port with '--port'."
    )


def test_run_loads_the_app_before_serving(served: list[dict[str, t.Any]]) -> None:
    result = run_cli("--app", "nothing_here", "run")
    assert_one_line_error(result, "Could not import 'nothing_here'")
    assert served == []


# -- erlen run: real servers ------------------------------------------------------------------------


def _start(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``python -m erlen <args>`` in the background, its output going to ``cwd/server.log``."""
    log = open(cwd / "server.log", "w")  # noqa: SIM115 - closed by _stop
    proc = subprocess.Popen(
        [sys.executable, "-m", "erlen", *args],
        cwd=cwd, env=env or dict(os.environ), stdout=log, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,  # its own process group: the reloader's child is stopped too
    )  # fmt: skip
    proc.log_file = log  # type: ignore[attr-defined]
    proc.log_path = cwd / "server.log"  # type: ignore[attr-defined]
    return proc


def _log(proc: subprocess.Popen[str]) -> str:
    return proc.log_path.read_text()  # type: ignore[attr-defined,no-any-return]


def _stop(proc: subprocess.Popen[str]) -> str:
    """Terminate the server (and a reloader's child with it) and return its output."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=STARTUP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    proc.log_file.close()  # type: ignore[attr-defined]
    return _log(proc)


def _get(port: int, path: str = "/", tls: bool = False) -> tuple[int, str] | None:
    """One GET, or None while nothing answers yet."""
    try:
        if tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                "127.0.0.1", port, timeout=10, context=context
            )
        else:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", path)
        response = conn.getresponse()
        rv = response.status, response.read().decode()
        conn.close()
        return rv
    except (OSError, http.client.HTTPException):
        return None


def _wait_for(port: int, proc: subprocess.Popen[str], expected: str, tls: bool = False) -> None:
    """Poll until GET / answers ``expected``; fails (with the log) if the time guard runs out."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        reply = _get(port, tls=tls)
        if reply == (200, expected):
            return
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    pytest.fail(f"no {expected!r} on port {port}; server output:\n{_stop(proc)}")


def test_run_serves_on_the_port_from_flaskenv_and_flask_run_port(tmp_path: Path) -> None:
    write(
        "hello.py",
        "from erlen import Erlen\napp = Erlen('h')\napp.add_url_rule('/', 'i', lambda: 'served')\n",
    )
    port = free_port()
    write(".flaskenv", f"FLASK_APP=hello\nFLASK_RUN_PORT={port}\n")
    proc = _start(["run"], tmp_path)
    try:
        _wait_for(port, proc, "served")
    finally:
        out = _stop(proc)
    assert f"Running on http://127.0.0.1:{port}" in out

    port = free_port()
    env = dict(os.environ, FLASK_RUN_PORT=str(port), FLASK_APP="hello")
    (tmp_path / ".flaskenv").unlink()
    proc = _start(["run"], tmp_path, env)
    try:
        _wait_for(port, proc, "served")
    finally:
        _stop(proc)


@pytest.mark.parametrize(
    "cert_args", [["--cert", "cert.pem", "--key", "key.pem"], ["--cert", "adhoc"]]
)
def test_run_serves_https(tmp_path: Path, cert_args: list[str]) -> None:
    write(
        "hello.py",
        "from erlen import Erlen, request\napp = Erlen('h')\napp.add_url_rule('/', 'i', lambda: request.scheme)\n",
    )
    _self_signed(tmp_path)
    port = free_port()
    proc = _start(["--app", "hello", "run", "-p", str(port), *cert_args], tmp_path)
    try:
        _wait_for(port, proc, "https", tls=True)
    finally:
        out = _stop(proc)
    assert f"Running on https://127.0.0.1:{port}" in out


def test_run_busy_port_in_a_real_process(tmp_path: Path) -> None:
    app_module("hello.py")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = erlen_process("--app", "hello", "run", "-p", str(port), cwd=tmp_path)
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if not line.startswith(" * ")]
    assert errors == [
        f"Error: Address already in use: port {port} on 127.0.0.1 is taken by another program;"
        " stop it or pick another port with '--port'."
    ]


def _wait_for_log(proc: subprocess.Popen[str], text: str, count: int = 1) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline and proc.poll() is None:
        if _log(proc).count(text) >= count:
            return
        time.sleep(0.1)
    pytest.fail(f"{text!r} never appeared {count} time(s); server output:\n{_stop(proc)}")


def _touch_until_detected(proc: subprocess.Popen[str], path: Path, count: int) -> None:
    """Move ``path``'s mtime forward until the reloader reports it (``count`` reports in all).

    # NOTE: a fresh server's watcher takes its first snapshot of mtimes just after it starts
    # answering; a change made before that snapshot is its baseline, so keep touching.
    """
    deadline = time.monotonic() + STARTUP_TIMEOUT
    step = 1
    while time.monotonic() < deadline and proc.poll() is None:
        later = time.time() + 10 * step
        os.utime(path, (later, later))
        step += 1
        for _ in range(20):
            if _log(proc).count(f"Detected change in {str(path)!r}") >= count:
                return
            time.sleep(0.1)
    pytest.fail(f"no reload for {path}; server output:\n{_stop(proc)}")


def test_run_reloader_restarts_after_an_edit(tmp_path: Path) -> None:
    source = (
        "from erlen import Erlen\napp = Erlen('r')\napp.add_url_rule('/', 'i', lambda: {text!r})\n"
    )
    target = write("reloading.py", source.format(text="before")).resolve()
    extra = write("settings.cfg", "A = 1\n").resolve()
    ignored = write("ignored.log", "").resolve()
    port = free_port()
    proc = _start(
        [
            "--app", "reloading", "run", "-p", str(port), "--reload",
            "--extra-files", f"settings.cfg{os.pathsep}ignored.log", "--exclude-patterns", "*.log",
        ],
        tmp_path,
    )  # fmt: skip
    try:
        _wait_for(port, proc, "before")
        target.write_text(source.format(text="after"), encoding="utf-8")
        _touch_until_detected(proc, target, 1)
        _wait_for(port, proc, "after")
        # An excluded file does not restart the server; an extra file does.
        later = time.time() + 1000
        os.utime(ignored, (later, later))
        _touch_until_detected(proc, extra, 1)
        _wait_for_log(proc, "Running on", count=3)
        _wait_for(port, proc, "after")
    finally:
        out = _stop(proc)
    detected = {line for line in out.splitlines() if "Detected change in" in line}
    assert detected == {
        f" * Detected change in {str(target)!r}, reloading",
        f" * Detected change in {str(extra)!r}, reloading",
    }


def test_an_unguarded_app_run_does_not_block_the_command(served: list[dict[str, t.Any]]) -> None:
    write(
        "unguarded.py",
        "from erlen import Erlen\napp = Erlen('u')\napp.add_url_rule('/', 'home', lambda: '')\n"
        "app.run(port=1234)\n",
    )
    result = run_cli("--app", "unguarded", "routes")
    assert result.exit_code == 0, result.output
    assert "home" in result.stdout
    assert "Ignoring a call to 'app.run()'" in result.stderr
    assert served == []
    # Under `erlen run` only the command's own server starts, with the command's options.
    assert run_options(served, "--app", "unguarded", "run", "-p", "8765")["port"] == 8765


def test_app_run_outside_the_command_loads_dotenv(served: list[dict[str, t.Any]]) -> None:
    write(".env", "ERLEN_DEBUG=1\n")
    app = erlen.Erlen("direct")
    app.run(port=8100)
    assert app.debug is True
    assert served[-1]["port"] == 8100 and served[-1]["use_reloader"] is True
    del os.environ["ERLEN_DEBUG"]
    other = erlen.Erlen("no_dotenv")
    other.run(port=8101, load_dotenv=False)
    assert other.debug is False and "ERLEN_DEBUG" not in os.environ
