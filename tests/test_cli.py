"""The ``erlen`` command line: every ``--app`` form, env files and variables, ``run``/``routes``/
``shell``, custom and plugin commands, one-line errors.

Most tests invoke the real ``erlen`` group in-process with click's runner, on apps written into a
temp dir that is the working directory. ``run`` is checked twice: the options that reach the
server function (recorded), and real ``python -m erlen run`` processes that serve requests.
"""

from __future__ import annotations

import http.client
import importlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import textwrap
import time
import typing as t
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

import erlen
import erlen.cli
import erlen.serving.devserver
from erlen.cli import (
    AppGroup,
    ErlenGroup,
    FlaskGroup,
    NoAppException,
    ScriptInfo,
    cli,
    find_best_app,
    locate_app,
    prepare_import,
    with_appcontext,
)
from helpers_servers import free_port

#: Seconds a subprocess may take to start answering; only a guard against hangs.
STARTUP_TIMEOUT = 60.0


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> t.Iterator[None]:
    """Each test: its own cwd, no ERLEN_/FLASK_ variables, and sys.path, sys.modules and the
    environment restored afterwards (the CLI writes variables, as Flask's does)."""
    saved_env = dict(os.environ)
    saved_path = list(sys.path)
    saved_modules = set(sys.modules)
    for key in list(os.environ):
        if key.startswith(("ERLEN_", "FLASK_")) or key == "PYTHONSTARTUP":
            del os.environ[key]
    monkeypatch.chdir(tmp_path)
    yield
    os.environ.clear()
    os.environ.update(saved_env)
    sys.path[:] = saved_path
    # Forget the test's own modules (each test writes its own hello.py); leave library modules
    # imported meanwhile alone (re-importing a C extension's Python half breaks it).
    root = str(tmp_path.parent.parent)
    for name in set(sys.modules) - saved_modules:
        module = sys.modules[name]
        if str(getattr(module, "__file__", None) or "").startswith(root) or not getattr(
            module, "__file__", None
        ):
            del sys.modules[name]


def write(path: str | Path, source: str) -> Path:
    """Write ``source`` (dedented) to ``path`` relative to the cwd, creating folders."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(textwrap.dedent(source), encoding="utf-8")
    importlib.invalidate_caches()
    return target


#: An app module whose ``where`` command says which app it runs in, in which context.
APP_SOURCE = """\
import click
from erlen import Erlen, current_app

{name} = Erlen({import_name!r})

@{name}.cli.command()
def where():
    click.echo(f"app={{current_app.import_name}} debug={{current_app.debug}}")
"""


def app_module(path: str, name: str = "app", import_name: str = "demo") -> Path:
    return write(path, APP_SOURCE.format(name=name, import_name=import_name))


def run_cli(*args: str, input: str | None = None, group: click.Command = cli) -> Result:
    """One in-process ``erlen`` invocation; it must leave the environment as it found it (the
    variables it sets for the app, from dotenv files, ``--debug`` or ``FLASK_*`` fallbacks,
    are undone when it ends)."""
    saved = dict(os.environ)
    result = CliRunner().invoke(group, list(args), input=input)
    assert dict(os.environ) == saved
    return result


def assert_one_line_error(result: Result, text: str, code: int = 2) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ") and text in lines[0], lines[0]


# -- --app: every form ----------------------------------------------------------------------------


def test_app_module_with_app_attribute() -> None:
    app_module("hello.py")
    result = run_cli("--app", "hello", "where")
    assert result.output == "app=demo debug=False\n"


def test_app_short_option_and_module_colon_name() -> None:
    app_module("hello.py", name="website")
    assert run_cli("-A", "hello:website", "where").output == "app=demo debug=False\n"


def test_app_application_attribute_and_single_instance() -> None:
    app_module("one.py", name="application", import_name="first")
    app_module("two.py", name="something_else", import_name="second")
    assert run_cli("--app", "one", "where").output.startswith("app=first ")
    assert run_cli("--app", "two", "where").output.startswith("app=second ")


FACTORY_SOURCE = """\
import click
from erlen import Erlen, current_app

def {factory}(name="plain", *, local_auth=False, tags=()):
    app = Erlen(name)
    app.config["LOCAL_AUTH"] = local_auth
    app.config["TAGS"] = tags

    @app.cli.command()
    def where():
        c = current_app.config
        click.echo(f"app={{current_app.import_name}} auth={{c['LOCAL_AUTH']}} tags={{c['TAGS']}}")

    return app
"""


@pytest.mark.parametrize("factory", ["create_app", "make_app"])
def test_app_factory_found_by_name(factory: str) -> None:
    write("factory_mod.py", FACTORY_SOURCE.format(factory=factory))
    assert run_cli("--app", "factory_mod", "where").output == "app=plain auth=False tags=()\n"


def test_app_factory_call_with_literal_args_and_kwargs() -> None:
    write("factory_mod.py", FACTORY_SOURCE.format(factory="create_app"))
    result = run_cli(
        "--app", "factory_mod:create_app('named', local_auth=True, tags=(1, 'x'))", "where"
    )
    assert result.output == "app=named auth=True tags=(1, 'x')\n"
    result = run_cli("--app", "factory_mod:create_app(local_auth=True)", "where")
    assert result.output == "app=plain auth=True tags=()\n"
    result = run_cli("--app", "factory_mod:create_app()", "where")
    assert result.output == "app=plain auth=False tags=()\n"


def test_app_factory_args_are_never_executed(tmp_path: Path) -> None:
    write("factory_mod.py", FACTORY_SOURCE.format(factory="create_app"))
    marker = tmp_path / "pwned"
    code = f"create_app(open({str(marker)!r}, 'w'))"
    result = run_cli("--app", f"factory_mod:{code}", "where")
    assert_one_line_error(result, "Failed to parse arguments as literal values")
    assert not marker.exists()
    result = run_cli("--app", "factory_mod:create_app(**{'local_auth': True})", "where")
    assert_one_line_error(result, "Failed to parse arguments as literal values")
    for code in (
        "create_app({[1]: 2})",
        "create_app(x)",
        "create_app(*[1])",
        "create_app(1 if 1 else 2)",
    ):
        result = run_cli("--app", f"factory_mod:{code}", "where")
        assert_one_line_error(result, "Failed to parse arguments as literal values")


@pytest.mark.parametrize("attr", ["create_app(", "a.b", "1+1", "create_app()()"])
def test_app_attribute_that_does_not_parse(attr: str) -> None:
    write("factory_mod.py", FACTORY_SOURCE.format(factory="create_app"))
    result = run_cli("--app", f"factory_mod:{attr}", "where")
    assert_one_line_error(result, "Failed to parse")


def test_app_factory_called_with_wrong_arguments() -> None:
    write("factory_mod.py", FACTORY_SOURCE.format(factory="create_app"))
    result = run_cli("--app", "factory_mod:create_app(1, 2, 3)", "where")
    assert_one_line_error(result, "could not be called with the specified arguments")


def test_app_path_to_a_file() -> None:
    app_module("project/web/hello.py", import_name="fromfile")
    assert run_cli("--app", "project/web/hello.py", "where").output.startswith("app=fromfile ")
    del sys.modules["hello"]
    result = run_cli("--app", "project/web/hello.py:app", "where")
    assert result.output.startswith("app=fromfile ")


def test_app_path_to_a_package_folder_src_layout() -> None:
    write("src/hello/__init__.py", FACTORY_SOURCE.format(factory="create_app"))
    assert run_cli("--app", "src/hello", "where").output == "app=plain auth=False tags=()\n"
    assert str(Path("src").resolve()) in sys.path


def test_app_dotted_module_and_file_inside_a_package() -> None:
    write("pkg/__init__.py", "")
    app_module("pkg/web.py", import_name="inpkg")
    assert run_cli("--app", "pkg.web", "where").output.startswith("app=inpkg ")
    del sys.modules["pkg.web"]
    assert run_cli("--app", "pkg/web.py", "where").output.startswith("app=inpkg ")


def test_prepare_import_names_the_module_and_fixes_sys_path(tmp_path: Path) -> None:
    write("outer/pkg/__init__.py", "")
    write("outer/pkg/__init__.py", "")
    write("outer/pkg/sub/__init__.py", "")
    write("outer/pkg/sub/mod.py", "")
    assert prepare_import("outer/pkg/sub/mod.py") == "pkg.sub.mod"
    assert sys.path[0] == str((tmp_path / "outer").resolve())
    assert prepare_import("outer/pkg/sub/__init__.py") == "pkg.sub"
    assert prepare_import("plain") == "plain"
    assert sys.path[0] == str(tmp_path.resolve())


def test_discovery_tries_wsgi_py_then_app_py() -> None:
    app_module("app.py", import_name="from_app_py")
    assert run_cli("where").output.startswith("app=from_app_py ")
    app_module("wsgi.py", import_name="from_wsgi_py")
    assert run_cli("where").output.startswith("app=from_wsgi_py ")


def test_discovery_stops_at_a_wsgi_py_without_an_app() -> None:
    # As Flask: wsgi.py is the app's module once it exists; app.py is not tried after it.
    write("wsgi.py", "x = 1\n")
    app_module("app.py", import_name="from_app_py")
    assert_one_line_error(
        run_cli("where"), "Failed to find an erlen application or factory in module 'wsgi'"
    )


def test_no_app_found_is_one_line() -> None:
    result = run_cli("where")
    assert_one_line_error(result, "Could not locate an erlen application")
    result = run_cli("routes")
    assert_one_line_error(result, "Could not locate an erlen application")


def test_bad_app_values_are_one_line_errors() -> None:
    app_module("hello.py")
    write("two_apps.py", "from erlen import Erlen\na = Erlen('a')\nb = Erlen('b')\n")
    write("no_app.py", "x = 1\n")
    write("not_app.py", "from erlen import Erlen\napp = 'a string'\nreal = Erlen('r')\n")
    cases = {
        "missing_module": "Could not import 'missing_module'",
        "hello:nope": "Failed to find attribute 'nope' in 'hello'",
        "two_apps": "Detected multiple erlen applications in module 'two_apps'",
        "no_app": "Failed to find an erlen application or factory in module 'no_app'",
        "not_app:app": "A valid erlen application was not obtained from 'not_app:app'",
        ":app": "Invalid --app value",
    }
    for value, message in cases.items():
        assert_one_line_error(run_cli("--app", value, "where"), message)


def test_import_error_inside_the_app_names_module_and_error() -> None:
    write("broken.py", "import missing_dependency_xyz\nfrom erlen import Erlen\napp = Erlen('b')\n")
    result = run_cli("--app", "broken", "where")
    assert_one_line_error(result, "While importing 'broken', an error was raised")
    assert "ModuleNotFoundError: No module named 'missing_dependency_xyz'" in result.output
    assert "broken.py, line 1" in result.output


def test_errors_raised_by_the_app_code_are_one_line() -> None:
    write("syntax.py", "from erlen import Erlen\napp = Erlen('s'\n")
    result = run_cli("--app", "syntax", "routes")
    assert_one_line_error(result, "While importing 'syntax', an error was raised: SyntaxError")
    assert "syntax.py, line 2" in result.output
    write("multiline.py", "raise ValueError('first line\\nsecond line')\n")
    result = run_cli("--app", "multiline", "routes")
    assert_one_line_error(result, "ValueError: first line second line")
    write("raising.py", "def create_app():\n    raise KeyError('DATABASE')\n")
    result = run_cli("--app", "raising", "routes")
    assert_one_line_error(result, "While calling 'create_app' in 'raising'")
    assert "KeyError: 'DATABASE'" in result.output


def test_debug_mode_adds_the_traceback_to_an_import_error() -> None:
    write("broken.py", "raise RuntimeError('boom')\n")
    result = run_cli("--debug", "--app", "broken", "where")
    assert result.exit_code == 2
    assert "Traceback" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Error: While importing 'broken'")


def test_locate_and_find_best_app_are_public() -> None:
    app_module("hello.py", import_name="pub")
    assert prepare_import("hello.py") == "hello"
    app = locate_app("hello", None)
    assert isinstance(app, erlen.Erlen) and app.import_name == "pub"
    assert find_best_app(sys.modules["hello"]) is app
    assert locate_app("hello", "app") is app
    assert locate_app("not_there_at_all", None, raise_if_not_found=False) is None
    with pytest.raises(NoAppException):
        locate_app("not_there_at_all", None)


# -- environment variables ------------------------------------------------------------------------


def test_erlen_app_and_flask_app_variables() -> None:
    app_module("first.py", import_name="first")
    app_module("second.py", import_name="second")
    os.environ["FLASK_APP"] = "first"
    assert run_cli("where").output.startswith("app=first ")
    os.environ["ERLEN_APP"] = "second"
    assert run_cli("where").output.startswith("app=second ")
    assert run_cli("--app", "first", "where").output.startswith("app=first ")


@pytest.mark.parametrize(
    ("env", "args", "expected"),
    [
        ({}, [], False),
        ({}, ["--debug"], True),
        ({"ERLEN_DEBUG": "1"}, [], True),
        ({"FLASK_DEBUG": "1"}, [], True),
        ({"FLASK_DEBUG": "true"}, ["--no-debug"], False),
        ({"ERLEN_DEBUG": "0", "FLASK_DEBUG": "1"}, [], False),
        ({"ERLEN_DEBUG": "false"}, ["--debug"], True),
    ],
)
def test_debug_flag_option_and_variables(
    env: dict[str, str], args: list[str], expected: bool
) -> None:
    app_module("hello.py")
    os.environ.update(env)
    result = run_cli("--app", "hello", *args, "where")
    assert result.output == f"app=demo debug={expected}\n"


def test_debug_from_the_app_config_is_overridden_by_the_cli() -> None:
    write("dbg.py", "from erlen import Erlen\napp = Erlen('d')\napp.debug = True\n")
    result = run_cli("--app", "dbg", "shell", input="print('debug', app.debug)\n")
    assert "debug False" in result.output


# -- dotenv files ---------------------------------------------------------------------------------


def test_env_files_are_loaded_with_their_precedence() -> None:
    app_module("hello.py")
    write(
        "show.py",
        """\
        import os, click
        from erlen import Erlen
        app = Erlen("show")

        @app.cli.command()
        def show():
            for key in ("A", "B", "C", "D", "E"):
                click.echo(f"{key}={os.environ.get('DOTENV_' + key)}")
        """,
    )
    write(".flaskenv", "DOTENV_A=flaskenv\nDOTENV_B=flaskenv\nDOTENV_C=flaskenv\nFLASK_APP=show\n")
    write(".erlenenv", "DOTENV_B=erlenenv\nDOTENV_C=erlenenv\n")
    write(".env", "DOTENV_C=env\nDOTENV_D=env\n")
    write("custom.env", "DOTENV_D=custom\nDOTENV_E=custom\n")
    os.environ["DOTENV_E"] = "process"
    result = run_cli("-e", "custom.env", "show")
    assert result.output.splitlines() == [
        "A=flaskenv",
        "B=erlenenv",
        "C=env",
        "D=custom",
        "E=process",
    ]
    assert run_cli("--env-file", "custom.env", "show").exit_code == 0


def test_env_file_found_in_a_parent_folder() -> None:
    write(".env", "ERLEN_APP=hello\n")
    app_module("sub/hello.py", import_name="parent_env")
    os.chdir("sub")
    assert run_cli("where").output.startswith("app=parent_env ")


def test_env_file_that_does_not_exist_is_a_usage_error() -> None:
    result = run_cli("-e", "missing.env", "routes")
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_skip_dotenv_variable_turns_the_default_files_off() -> None:
    app_module("hello.py")
    write(".env", "ERLEN_APP=hello\n")
    os.environ["ERLEN_SKIP_DOTENV"] = "1"
    assert_one_line_error(run_cli("where"), "Could not locate an erlen application")
    write("explicit.env", "ERLEN_APP=hello\n")
    assert run_cli("-e", "explicit.env", "where").output == "app=demo debug=False\n"


def test_without_python_dotenv_files_are_ignored_with_a_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "dotenv", None)  # makes `import dotenv` fail
    app_module("hello.py")
    write(".env", "ERLEN_APP=hello\n")
    result = run_cli("where")
    assert "Install python-dotenv" in result.stderr
    assert "Could not locate an erlen application" in result.stderr
    result = run_cli("-e", ".env", "where")
    assert result.exit_code == 2
    assert "python-dotenv must be installed to load an env file" in result.output


def test_custom_group_can_turn_dotenv_off() -> None:
    write(".env", "DOTENV_X=loaded\n")

    @click.group(cls=ErlenGroup, load_dotenv=False, create_app=lambda: erlen.Erlen("x"))
    def manage() -> None:
        pass

    @manage.command()
    def show() -> None:
        click.echo(os.environ.get("DOTENV_X", "unset"))

    assert run_cli("show", group=manage).output == "unset\n"


def test_flaskenv_debug_and_env_file_variable() -> None:
    app_module("hello.py")
    write(".flaskenv", "FLASK_APP=hello\nFLASK_DEBUG=1\n")
    assert run_cli("where").output == "app=demo debug=True\n"
    write("other.env", "FLASK_DEBUG=0\n")
    os.environ["FLASK_ENV_FILE"] = "other.env"
    # The env file wins over .flaskenv, and it was named through FLASK_ENV_FILE.
    assert run_cli("where").output == "app=demo debug=False\n"


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


@pytest.mark.parametrize(
    ("args", "message"),
    [
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


# -- routes -----------------------------------------------------------------------------------------


def _define_routes(app: t.Any, subdomains: bool) -> None:
    def view(**kwargs: t.Any) -> str:
        return ""

    app.add_url_rule("/", "index", view)
    app.add_url_rule("/zeta", "alpha", view, methods=["POST", "DELETE"])
    app.add_url_rule("/users/<int:uid>", "user", view, methods=["GET", "PUT"])
    app.add_url_rule("/about", "zz_about", view, methods=["GET", "PATCH"])
    if subdomains:
        app.config["SERVER_NAME"] = "example.test"
        app.add_url_rule("/", "api_index", view, subdomain="api")


def _routes_output(module: t.Any, group_cls: t.Any, args: list[str], subdomains: bool) -> str:
    def create_app() -> t.Any:
        app = module.Flask("routes_app", subdomain_matching=subdomains)
        _define_routes(app, subdomains)
        return app

    group = group_cls(create_app=create_app)
    result = CliRunner().invoke(group, ["routes", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("subdomains", [False, True])
@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--sort", "endpoint"],
        ["--sort", "methods"],
        ["--sort", "rule"],
        ["--sort", "match"],
        ["-s", "domain"],
        ["--all-methods"],
        ["--all-methods", "-s", "methods"],
    ],
)
def test_routes_prints_what_flask_prints(args: list[str], subdomains: bool) -> None:
    import flask
    import flask.cli

    expected = _routes_output(flask, flask.cli.FlaskGroup, args, subdomains)
    assert _routes_output(erlen, ErlenGroup, args, subdomains) == expected
    assert expected.splitlines()[0].startswith("Endpoint")


def test_routes_with_no_rules_and_a_bad_sort() -> None:
    write("bare.py", "from erlen import Erlen\napp = Erlen('bare', static_folder=None)\n")
    assert run_cli("--app", "bare", "routes").output == "No routes were registered.\n"
    result = run_cli("--app", "bare", "routes", "--sort", "size")
    assert result.exit_code == 2 and "Invalid value for '--sort'" in result.output


# -- shell ------------------------------------------------------------------------------------------


SHELL_APP = """\
from erlen import Erlen

app = Erlen("shell_app")

@app.shell_context_processor
def extra():
    return {"answer": 42}
"""


def test_shell_has_app_g_and_shell_context() -> None:
    write("shell_app.py", SHELL_APP)
    script = (
        "print('name', app.name)\n"
        "print('answer', answer)\n"
        "g.x = 1\n"
        "from erlen import current_app, g as real_g\n"
        "print('same', current_app._get_current_object() is app, real_g.x)\n"
    )
    result = run_cli("--app", "shell_app", "shell", input=script)
    assert result.exit_code == 0, result.output
    assert "name shell_app" in result.stdout
    assert "answer 42" in result.stdout
    assert "same True 1" in result.stdout
    assert "App: shell_app" in result.stderr


def test_shell_runs_pythonstartup_first(tmp_path: Path) -> None:
    write("shell_app.py", SHELL_APP)
    startup = write("startup.py", "answer = 'from startup'\nearly = 'yes'\n")
    os.environ["PYTHONSTARTUP"] = str(startup)
    result = run_cli("--app", "shell_app", "shell", input="print(answer, early)\n")
    # The app's shell context is applied after the startup file, so it wins.
    assert "42 yes" in result.stdout


def test_shell_in_a_real_process(tmp_path: Path) -> None:
    write("shell_app.py", SHELL_APP)
    proc = subprocess.run(
        [sys.executable, "-m", "erlen", "--app", "shell_app", "shell"],
        input="print(answer * 2, app.import_name)\n",
        capture_output=True,
        text=True,
        timeout=STARTUP_TIMEOUT,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "84 shell_app" in proc.stdout


# -- custom commands --------------------------------------------------------------------------------


def test_app_commands_in_every_form_run_in_an_app_context() -> None:
    write(
        "cmds.py",
        """\
        import click
        from erlen import Erlen, current_app, g
        from erlen.cli import AppGroup, with_appcontext

        app = Erlen("cmds")

        @app.cli.command()
        def decorated():
            click.echo(f"decorated {current_app.name}")

        @app.cli.command
        def bare():
            click.echo(f"bare {current_app.name}")

        @app.cli.command("named", with_appcontext=False)
        def named():
            click.echo(f"named {current_app.name}")

        @click.command("added")
        @click.option("--times", default=1)
        def added(times):
            g.count = times
            click.echo(f"added {current_app.name} {g.count}")

        app.cli.add_command(added)

        @click.command("explicit")
        @with_appcontext
        def explicit():
            click.echo(f"explicit {current_app.name}")

        app.cli.add_command(explicit)

        users = AppGroup("users")

        @users.command("create")
        @click.argument("name")
        def create(name):
            click.echo(f"create {name} in {current_app.name}")

        app.cli.add_command(users)

        @app.cli.group()
        def jobs():
            pass

        @jobs.command()
        def clean():
            click.echo(f"clean {current_app.name}")
        """,
    )
    expected = {
        ("decorated",): "decorated cmds",
        ("bare",): "bare cmds",
        ("named",): "named cmds",
        ("added", "--times", "3"): "added cmds 3",
        ("explicit",): "explicit cmds",
        ("users", "create", "ann"): "create ann in cmds",
        ("jobs", "clean"): "clean cmds",
    }
    for args, output in expected.items():
        result = run_cli("--app", "cmds", *args)
        assert result.exit_code == 0, result.output
        assert result.output == output + "\n"
    help_text = run_cli("--app", "cmds", "--help").output
    for name in ("decorated", "bare", "added", "users", "jobs", "run", "routes", "shell"):
        assert f"  {name}" in help_text


def test_app_command_options_read_erlen_and_flask_variables() -> None:
    write(
        "opts.py",
        """\
        import click
        from erlen import Erlen

        app = Erlen("opts")

        @app.cli.command("send-mail")
        @click.option("--to")
        def send_mail(to):
            click.echo(f"to={to}")
        """,
    )
    os.environ["FLASK_SEND_MAIL_TO"] = "flask@example.test"
    assert run_cli("--app", "opts", "send-mail").output == "to=flask@example.test\n"
    os.environ["ERLEN_SEND_MAIL_TO"] = "erlen@example.test"
    assert run_cli("--app", "opts", "send-mail").output == "to=erlen@example.test\n"


def test_unknown_command_with_a_loaded_app() -> None:
    app_module("hello.py")
    result = run_cli("--app", "hello", "nope")
    assert result.exit_code == 2 and "No such command 'nope'" in result.output


def test_help_without_an_app_still_lists_the_builtin_commands() -> None:
    result = run_cli("--help")
    assert result.exit_code == 0
    assert "Could not locate an erlen application" in result.stderr
    for name in ("run", "routes", "shell"):
        assert f"  {name}" in result.stdout
    no_args = run_cli()
    assert "Usage:" in no_args.output and "  run" in no_args.output


def test_blueprint_cli_groups_through_the_erlen_command() -> None:
    write(
        "bps.py",
        """\
        import click
        from erlen import Blueprint, Erlen, current_app

        app = Erlen("bps")
        grouped = Blueprint("students", __name__)
        flat = Blueprint("flat", __name__, cli_group=None)
        renamed = Blueprint("renamed", __name__, cli_group="tools")

        for bp in (grouped, flat, renamed):
            @bp.cli.command(f"hello-{bp.name}")
            def hello(bp=bp):
                click.echo(f"{bp.name} in {current_app.name}")
            app.register_blueprint(bp)
        """,
    )
    assert run_cli("--app", "bps", "students", "hello-students").output == "students in bps\n"
    assert run_cli("--app", "bps", "hello-flat").output == "flat in bps\n"
    assert run_cli("--app", "bps", "tools", "hello-renamed").output == "renamed in bps\n"


def test_custom_script_with_flaskgroup_and_create_app() -> None:
    def create_app() -> erlen.Erlen:
        app = erlen.Erlen("scripted")
        app.add_url_rule("/", "index", lambda: "")
        return app

    @click.group(cls=FlaskGroup, create_app=create_app)
    def manage() -> None:
        """Management script for the scripted app."""

    @manage.command()
    @erlen.cli.pass_script_info
    def info(script_info: ScriptInfo) -> None:
        click.echo(f"info {script_info.load_app().name}")

    @manage.command()
    @with_appcontext
    def ctx() -> None:
        click.echo(f"ctx {erlen.current_app.name}")

    assert run_cli("info", group=manage).output == "info scripted\n"
    assert run_cli("ctx", group=manage).output == "ctx scripted\n"
    routes = run_cli("routes", group=manage).output
    assert "index" in routes and "/" in routes
    assert "Management script" in run_cli("--help", group=manage).output
    assert FlaskGroup is ErlenGroup


def test_custom_group_without_default_commands_or_version() -> None:
    group = ErlenGroup(
        name="bare",
        add_default_commands=False,
        add_version_option=False,
        create_app=lambda: erlen.Erlen("b"),
    )
    help_text = run_cli("--help", group=group).output
    assert "  run" not in help_text and "--version" not in help_text
    assert "--app" in help_text and "--env-file" in help_text and "--debug" in help_text


def test_version_option() -> None:
    result = run_cli("--version")
    assert result.exit_code == 0
    assert result.output.splitlines()[1] == f"erlen {erlen.__version__}"
    assert result.output.startswith("Python ")


def test_test_cli_runner_runs_added_commands_in_an_app_context() -> None:
    app = erlen.Erlen("runner")

    @click.command("who")
    def who() -> None:
        click.echo(f"who {erlen.current_app.name}")

    app.cli.add_command(who)

    @app.cli.command("greet")
    @click.argument("name")
    def greet(name: str) -> None:
        click.echo(f"hello {name}")

    runner = app.test_cli_runner()
    assert runner.invoke(args=["who"]).output == "who runner\n"
    assert runner.invoke(args=["greet", "ann"]).output == "hello ann\n"
    assert runner.invoke(cli, ["routes"]).output.splitlines()[0].startswith("Endpoint")


def test_appgroup_subclass_and_exports_match_flask() -> None:
    import flask.cli

    names = [
        "FlaskGroup",
        "AppGroup",
        "ScriptInfo",
        "with_appcontext",
        "pass_script_info",
        "load_dotenv",
        "find_best_app",
        "locate_app",
        "prepare_import",
        "NoAppException",
        "run_command",
        "routes_command",
        "shell_command",
        "main",
        "find_app_by_string",
        "get_debug_flag",
        "CertParamType",
        "SeparatedPathType",
    ]
    for name in names:
        assert hasattr(flask.cli, name) or hasattr(flask.helpers, name), name
        assert hasattr(erlen.cli, name), name
    assert issubclass(NoAppException, click.UsageError)
    assert issubclass(ErlenGroup, AppGroup) and issubclass(AppGroup, click.Group)
    assert isinstance(erlen.Erlen("x").cli, AppGroup)


# -- plugins ------------------------------------------------------------------------------------


def make_plugin(folder: Path, dist: str, group: str, commands: dict[str, str]) -> None:
    """A tiny installed distribution: ``<dist>.py`` with click commands and its dist-info."""
    module = f"{dist}_cmds"
    body = ["import click", "from erlen import current_app, has_app_context", ""]
    for name, text in commands.items():
        body += [
            f"@click.command({name!r})",
            f"def cmd_{name.replace('-', '_')}():",
            f"    click.echo({text!r})",
            "",
        ]
    (folder / f"{module}.py").write_text("\n".join(body), encoding="utf-8")
    info = folder / f"{dist}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    lines = [f"[{group}]"] + [
        f"{name} = {module}:cmd_{name.replace('-', '_')}" for name in commands
    ]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def plugin_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "site"
    folder.mkdir()
    sys.path.insert(0, str(folder))
    importlib.invalidate_caches()
    return folder


def test_plugin_commands_from_both_entry_point_groups(plugin_dir: Path) -> None:
    make_plugin(
        plugin_dir,
        "erlen_plugin_a",
        "erlen.commands",
        {"erlen-tool": "erlen tool ran", "both": "erlen wins"},
    )
    make_plugin(
        plugin_dir,
        "flask_plugin_b",
        "flask.commands",
        {"flask-tool": "flask tool ran", "both": "flask loses"},
    )
    importlib.invalidate_caches()
    assert run_cli("erlen-tool").output == "erlen tool ran\n"
    assert run_cli("flask-tool").output == "flask tool ran\n"
    assert run_cli("both").output == "erlen wins\n"
    help_text = run_cli("--help").stdout
    assert "  erlen-tool" in help_text and "  flask-tool" in help_text


def test_a_broken_plugin_is_reported_and_left_out(plugin_dir: Path) -> None:
    make_plugin(plugin_dir, "good_plugin", "erlen.commands", {"good": "good ran"})
    info = plugin_dir / "bad_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: bad_plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[erlen.commands]\nbad = no_such_module_q:cmd\n")
    importlib.invalidate_caches()
    assert run_cli("good").output == "good ran\n"
    app_module("hello.py")
    result = run_cli("--app", "hello", "bad")
    assert "could not load the 'erlen.commands' plugin command 'bad'" in result.stderr
    assert result.exit_code == 2 and "No such command 'bad'" in result.output
    # Help, even without an app, lists the good plugin and leaves the broken one out.
    os.remove("hello.py")
    result = run_cli("--help")
    assert result.exit_code == 0
    assert "  good" in result.stdout and "  bad" not in result.stdout
    assert "could not load the 'erlen.commands' plugin command 'bad'" in result.stderr


def test_plugin_commands_in_a_real_process(plugin_dir: Path, tmp_path: Path) -> None:
    make_plugin(plugin_dir, "proc_plugin", "flask.commands", {"migrate-ish": "db plugin here"})
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(plugin_dir), *sys.path]))
    proc = subprocess.run(
        [sys.executable, "-m", "erlen", "migrate-ish"],
        capture_output=True, text=True, timeout=STARTUP_TIMEOUT, cwd=tmp_path, env=env, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "db plugin here\n"


# -- the command itself and Flask's tutorial app ----------------------------------------------------


def erlen_process(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "erlen", *args],
        capture_output=True, text=True, timeout=STARTUP_TIMEOUT, cwd=cwd,
        env=env or dict(os.environ), check=False,
    )  # fmt: skip


def test_python_dash_m_erlen_and_the_console_script_entry(tmp_path: Path) -> None:
    from importlib import metadata

    app_module("hello.py")
    proc = erlen_process("--app", "hello", "where", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "app=demo debug=False\n")
    assert "Usage: erlen " in erlen_process("--help", cwd=tmp_path).stdout
    scripts = metadata.entry_points(group="console_scripts", name="erlen")
    assert [ep.value for ep in scripts] == ["erlen.cli:main"]
    proc = erlen_process("--app", "missing_mod", "routes", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"Error: Could not import 'missing_mod': no such module in {str(tmp_path)!r} or on sys.path."
    ]


FLASKR_INIT = """\
import os

from erlen import Erlen


def create_app(test_config=None):
    app = Erlen(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY="dev",
        DATABASE=os.path.join(app.instance_path, "flaskr.sqlite"),
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)

    @app.route("/hello")
    def hello():
        return "Hello, World!"

    from . import db

    db.init_app(app)
    return app
"""

FLASKR_DB = """\
import sqlite3
from datetime import datetime

import click
from erlen import current_app, g


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE"], detect_types=sqlite3.PARSE_DECLTYPES)
        g.db.row_factory = sqlite3.Row
    return g.db


def close_db(e=None):
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_db():
    db = get_db()
    with current_app.open_resource("schema.sql") as f:
        db.executescript(f.read().decode("utf8"))


@click.command("init-db")
def init_db_command():
    \"\"\"Clear the existing data and create new tables.\"\"\"
    init_db()
    click.echo("Initialized the database.")


sqlite3.register_converter("timestamp", lambda v: datetime.fromisoformat(v.decode()))


def init_app(app):
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
"""

FLASKR_SCHEMA = """\
DROP TABLE IF EXISTS user;
DROP TABLE IF EXISTS post;

CREATE TABLE user (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  username TEXT UNIQUE NOT NULL,
  password TEXT NOT NULL
);

CREATE TABLE post (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  author_id INTEGER NOT NULL,
  created TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  FOREIGN KEY (author_id) REFERENCES user (id)
);
"""


def test_flask_tutorial_init_db_creates_the_database(tmp_path: Path) -> None:
    import sqlite3

    write("flaskr/__init__.py", FLASKR_INIT)
    write("flaskr/db.py", FLASKR_DB)
    write("flaskr/schema.sql", FLASKR_SCHEMA)
    proc = erlen_process("--app", "flaskr", "init-db", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "Initialized the database.\n"
    # NOTE: erlen's instance folder is <root_path>/instance, inside the package (Flask puts it
    # next to the package); see docs/differences.md.
    database = tmp_path / "flaskr" / "instance" / "flaskr.sqlite"
    with sqlite3.connect(database) as conn:
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
    conn.close()
    assert {"user", "post"} <= tables
    # The same command in-process, through the app's test runner.
    database.unlink()
    sys.path.insert(0, str(tmp_path))
    from flaskr import create_app  # type: ignore[import-not-found]

    app = create_app({"DATABASE": str(database)})
    assert app.test_cli_runner().invoke(args=["init-db"]).output == "Initialized the database.\n"
    assert database.is_file()


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


def test_routes_options_from_variables() -> None:
    write(
        "two_routes.py",
        """\
        from erlen import Erlen
        app = Erlen("r", static_folder=None)
        app.add_url_rule("/b", "a_endpoint", lambda: "")
        app.add_url_rule("/a", "b_endpoint", lambda: "")
        """,
    )
    by_endpoint = run_cli("--app", "two_routes", "routes").output.splitlines()
    assert [line.split()[0] for line in by_endpoint[2:]] == ["a_endpoint", "b_endpoint"]
    os.environ["FLASK_ROUTES_SORT"] = "rule"
    os.environ["ERLEN_ROUTES_ALL_METHODS"] = "1"
    by_rule = run_cli("--app", "two_routes", "routes").output.splitlines()
    assert [line.split()[0] for line in by_rule[2:]] == ["b_endpoint", "a_endpoint"]
    assert "GET, HEAD, OPTIONS" in by_rule[2]


def test_script_info_loads_once_and_shares_data() -> None:
    app_module("hello.py", import_name="info_app")
    info = ScriptInfo(app_import_path="hello:app")
    app = info.load_app()
    assert app.import_name == "info_app" and info.load_app() is app
    info.data["key"] = "value"
    built = erlen.Erlen("built")
    assert ScriptInfo(create_app=lambda: built, app_import_path="hello").load_app() is built
    with pytest.raises(NoAppException, match="Failed to find attribute 'nope'"):
        ScriptInfo(app_import_path="hello:nope").load_app()


def test_plugin_command_uses_the_app_through_with_appcontext(plugin_dir: Path) -> None:
    (plugin_dir / "ctx_plugin_cmds.py").write_text(
        textwrap.dedent(
            """\
            import click
            from erlen import current_app
            from erlen.cli import ScriptInfo, pass_script_info, with_appcontext

            @click.group("db")
            def db():
                \"\"\"Database migrations (a Flask-Migrate-like plugin).\"\"\"

            @db.command()
            @with_appcontext
            def upgrade():
                click.echo(f"upgrading {current_app.import_name}")

            @db.command()
            @pass_script_info
            def which(info: ScriptInfo):
                click.echo(f"app is {info.load_app().import_name}")
            """
        ),
        encoding="utf-8",
    )
    info = plugin_dir / "ctx_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ctx_plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[flask.commands]\ndb = ctx_plugin_cmds:db\n")
    importlib.invalidate_caches()
    app_module("hello.py", import_name="plugged")
    assert run_cli("--app", "hello", "db", "upgrade").output == "upgrading plugged\n"
    assert run_cli("--app", "hello", "db", "which").output == "app is plugged\n"
    assert "Database migrations" in run_cli("--app", "hello", "--help").stdout


DISCOVERY_LAYOUTS = {
    "app_and_application": "app = Flask('app')\napplication = Flask('application')\n",
    "application_only": "application = Flask('application')\nother = 1\n",
    "single_other_name": "website = Flask('website')\n",
    "instance_and_factory": "website = Flask('website')\ndef create_app():\n    return Flask('factory')\n",
    "create_and_make": "def make_app():\n    return Flask('make')\ndef create_app():\n    return Flask('create')\n",
    "make_only": "def make_app():\n    return Flask('make')\n",
    "two_instances": "one = Flask('one')\ntwo = Flask('two')\n",
    "factory_needs_args": "def create_app(config):\n    return Flask('x')\n",
    "nothing": "value = 1\n",
}


@pytest.mark.parametrize("layout", sorted(DISCOVERY_LAYOUTS))
def test_discovery_picks_what_flask_picks(layout: str) -> None:
    """The same module, once importing Flask and once erlen: the same app, or both fail."""
    import flask.cli

    picks = []
    for framework, module_cli in (("flask", flask.cli), ("erlen", erlen.cli)):
        name = f"disc_{layout}_{framework}"
        write(f"{name}.py", f"from {framework} import Flask\n" + DISCOVERY_LAYOUTS[layout])
        try:
            picks.append(module_cli.locate_app(module_cli.prepare_import(f"{name}.py"), None).name)
        except module_cli.NoAppException:
            picks.append("NoAppException")
    assert picks[0] == picks[1]


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
