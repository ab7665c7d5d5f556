"""The ``erlen`` commands: ``routes`` (against Flask's output), ``shell``, the app's own
commands in every form (all in an app context), blueprint groups, custom scripts, plugins from
entry points, ``python -m erlen`` and Flask's tutorial ``init-db``.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
import typing as t
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

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
    with_appcontext,
)
from helpers_cli import (  # noqa: F401 - isolated_cli is an autouse fixture
    STARTUP_TIMEOUT,
    app_module,
    erlen_process,
    isolated_cli,
    run_cli,
    write,
)

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


def test_routes_name_websocket_routes() -> None:
    write(
        "ws_routes.py",
        "from erlen import Erlen, websocket\n"
        "app = Erlen('ws_routes', static_folder=None)\n"
        "app.add_url_rule('/', 'index', lambda: 'home')\n"
        "@app.websocket('/ws/<int:room>')\n"
        "async def chat(room):\n"
        "    await websocket.send('hi')\n",
    )
    result = run_cli("--app", "ws_routes", "routes", "--sort", "rule")
    assert result.output.splitlines() == [
        "Endpoint  Methods    Rule          ",
        "--------  ---------  --------------",
        "index     GET        /             ",
        "chat      WEBSOCKET  /ws/<int:room>",
    ]
    result = run_cli("--app", "ws_routes", "routes", "--all-methods", "--sort", "methods")
    assert result.output.splitlines()[2:] == [
        "index     GET, HEAD, OPTIONS  /             ",
        "chat      WEBSOCKET           /ws/<int:room>",
    ]


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
    import platform

    result = run_cli("--version")
    assert result.exit_code == 0
    # Flask's format, with erlen in Flask's place; no Flask or Werkzeug line outside compat.
    assert result.output == f"Python {platform.python_version()}\nerlen {erlen.__version__}\n"


def test_get_version_is_the_version_callback(capsys: pytest.CaptureFixture[str]) -> None:
    from erlen.cli import get_version

    command = click.Command("x")
    with click.Context(command, resilient_parsing=True) as ctx:
        get_version(ctx, None, True)  # resilient parsing (completion): prints nothing
    with click.Context(command) as ctx:
        get_version(ctx, None, False)  # the flag not given
        assert capsys.readouterr().out == ""
        with pytest.raises(click.exceptions.Exit):
            get_version(ctx, None, True)
    assert capsys.readouterr().out.splitlines()[1] == f"erlen {erlen.__version__}"


def test_version_under_compat_names_the_flask_api_and_werkzeug(tmp_path: Path) -> None:
    from importlib import metadata

    proc = subprocess.run(
        [sys.executable, "-m", "erlen.compat", "flask", "--version"],
        capture_output=True, text=True, timeout=STARTUP_TIMEOUT, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[1] == f"erlen {erlen.__version__}"
    assert lines[2] == "Flask 3.1.3 (the API erlen.compat serves)"
    werkzeug = metadata.version("werkzeug")
    assert lines[3] == f"Werkzeug {werkzeug} (installed; erlen.compat maps its public classes)"


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
    # The instance folder of a package sits next to it, as in Flask.
    database = tmp_path / "instance" / "flaskr.sqlite"
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
